package site

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// browseParams are the browse page's query parameters, in the order of the
// canonical URL.
var browseParams = []string{"q", "scheme", "level", "status", "province", "city", "body", "year", "sort", "page"}

// browseQuery is a browse page's state, as read from its URL.
type browseQuery struct {
	values url.Values
	filter registry.Filter
}

// parseBrowse reads the filters from the query string. Values the registry
// does not know are an EINVALID error (400) from Filter.Validate.
func (s *Server) parseBrowse(r *http.Request, perPage int) (*browseQuery, error) {
	q := r.URL.Query()
	bq := &browseQuery{values: url.Values{}}
	for _, p := range browseParams {
		if v := strings.TrimSpace(q.Get(p)); v != "" {
			bq.values.Set(p, v)
		}
	}
	if bq.values.Get("sort") == (registry.Filter{Status: registry.Status(bq.values.Get("status"))}).DefaultSort() {
		bq.values.Del("sort")
	}
	if bq.values.Get("page") == "1" {
		bq.values.Del("page")
	}
	f := registry.Filter{
		Query: bq.values.Get("q"), Scheme: bq.values.Get("scheme"), Level: bq.values.Get("level"),
		Status: registry.Status(bq.values.Get("status")), Province: bq.values.Get("province"),
		City: bq.values.Get("city"), Sort: bq.values.Get("sort"), PerPage: perPage,
	}
	if a := bq.values.Get("body"); a != "" {
		b, err := s.store.Body(r.Context(), a)
		if registry.ErrorCode(err) == registry.ENOTFOUND {
			return nil, registry.Errorf(registry.EINVALID, "body", "page.no_certification_body_has", a)
		}
		if err != nil {
			return nil, err
		}
		f.BodyID = b.ID
		bq.values.Set("body", b.Approval)
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"year", &f.Year}, {"page", &f.Page}} {
		if v := bq.values.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, registry.Errorf(registry.EINVALID, p.name, "page.parameter_must_positive_whole", p.name, v)
			}
			*p.dst = n
		}
	}
	if err := f.Validate(s.store.Schemes()); err != nil {
		return nil, err
	}
	bq.filter = f
	return bq, nil
}

// encode writes the state as a canonical query string: parameters in a
// fixed order, empty and default ones left out, page replaced.
func (bq *browseQuery) encode(page int) string {
	var parts []string
	for _, p := range browseParams {
		v := bq.values.Get(p)
		if p == "page" {
			if page <= 1 {
				continue
			}
			v = strconv.Itoa(page)
		}
		if v != "" {
			parts = append(parts, p+"="+url.QueryEscape(v))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "?" + strings.Join(parts, "&")
}

// listCertificates is the browse and search page. Each state has one URL:
// a query string with empty or unknown parameters, or in another order, is
// redirected to the canonical one, so links can be shared and bookmarked.
func (s *Server) listCertificates(w http.ResponseWriter, r *http.Request) error {
	sn, err := s.snapshot(r.Context())
	if err != nil {
		return err
	}
	bq, err := s.parseBrowse(r, 0)
	if err != nil {
		return err
	}
	lang := langOf(r)
	f := bq.filter
	if canon := bq.encode(f.Page); "?"+r.URL.RawQuery != canon && !(r.URL.RawQuery == "" && canon == "") {
		http.Redirect(w, r, lang.Path(views.CertificatesPath)+canon, http.StatusFound)
		return nil
	}
	res, err := s.store.Search(r.Context(), f)
	if err != nil {
		return err
	}
	// A number typed in full goes straight to its certificate.
	if ex := res.Numbers.Exact; ex != nil && f.Page == 1 && len(bq.values) == 1 {
		http.Redirect(w, r, lang.Path(views.CertificatePath(ex.Number)), http.StatusFound)
		return nil
	}

	v := views.BrowseView{
		Heading: lang.T("browse.title"), Query: f.Query, Numbers: s.numberGroups(lang, f, res.Numbers),
		Items: s.items(lang, res.Certificates), ClearURL: lang.Path(views.CertificatesPath),
		FeedURL: lang.Path(views.IssuedFeedPath), Selects: s.browseSelects(lang, bq, sn),
	}
	switch {
	case res.HolderCode != "":
		v.Heading = lang.Tf("browse.holder_code", res.HolderCode)
	case f.Query != "":
		v.Heading = lang.Tf("browse.results_for", f.Query)
	}
	// Found by number and by no holder name: a "0 certificates" under the
	// numbers found would contradict them.
	v.NoNames = len(v.Numbers) > 0 && len(res.Certificates) == 0 && f.Page == 1
	if f == (registry.Filter{Sort: f.Sort, Page: f.Page, PerPage: f.PerPage}) {
		// No filter: the registry's own total is exact and already known.
		res.Total, res.Capped = sn.stats.Certificates, false
	}
	switch {
	case res.Total < 0:
		v.Count = lang.T("browse.count.many")
	case res.AtLeast:
		v.Count = lang.Tf("browse.count.atleast", lang.Int(res.Total))
	case res.Capped:
		v.Count = lang.Tf("browse.count.capped", lang.Int(registry.CountCap), lang.Int(registry.CountCap))
	case res.Total > registry.CountCap:
		v.Count = lang.Tf("browse.count.pagelimit", lang.Int(res.Total), lang.Int(registry.CountCap))
	default:
		v.Count = lang.Tf("browse.count", lang.Int(res.Total))
	}
	if res.Partial {
		v.Partial = lang.Tf("browse.partial", lang.Int(registry.ShortScanRows))
	}
	v.Empty = len(res.Certificates) == 0 && len(v.Numbers) == 0
	v.Pager = s.pager(lang, bq, f, res)
	b := s.base(r, v.Heading)
	b.Nav = "certificates"
	b.NoIndex = f.Query != "" || f.Page > 1
	b.AsOf = s.now()
	return s.render(w, r, http.StatusOK, views.BrowsePage(b, v))
}

// pager links the previous and next pages, the first and last, and the
// two pages either side of the current one.
func (s *Server) pager(lang i18n.Lang, bq *browseQuery, f registry.Filter, res *registry.SearchResult) []views.PageLink {
	href := func(p int) string { return lang.Path(views.CertificatesPath) + bq.encode(p) }
	last := f.Page
	if res.Total > 0 {
		last = max((res.Total+f.PerPage-1)/f.PerPage, f.Page)
	}
	if (res.Total < 0 || res.AtLeast) && len(res.Certificates) == f.PerPage {
		last = max(last, f.Page+1)
	}
	last = min(last, registry.CountCap/f.PerPage)
	if last <= 1 {
		return nil
	}
	var out []views.PageLink
	if f.Page > 1 {
		out = append(out, views.PageLink{Text: lang.T("browse.prev"), URL: href(f.Page - 1), Rel: "prev"})
	}
	gap := false
	for p := 1; p <= last; p++ {
		if p == 1 || p == last || p >= f.Page-2 && p <= f.Page+2 {
			out = append(out, views.PageLink{Text: strconv.Itoa(p), URL: href(p), Current: p == f.Page})
			gap = false
		} else if !gap {
			out = append(out, views.PageLink{Text: "…"})
			gap = true
		}
	}
	if f.Page < last {
		out = append(out, views.PageLink{Text: lang.T("browse.next"), URL: href(f.Page + 1), Rel: "next"})
	}
	return out
}

// browseSelects builds the filter form's selects, with the current choices
// selected.
func (s *Server) browseSelects(lang i18n.Lang, bq *browseQuery, sn *snapshot) []views.Select {
	cur := bq.values
	sel := func(name, label string, opts []views.Option) views.Select {
		all := []views.Option{{Value: "", Text: lang.T("browse.any"), Selected: cur.Get(name) == ""}}
		for _, o := range opts {
			o.Selected = cur.Get(name) == o.Value
			all = append(all, o)
		}
		return views.Select{Name: name, Label: label, Options: all}
	}
	var schemes, levels, statuses, provinces, cities, bodies, years, sorts []views.Option
	seenLevel := map[string]bool{}
	for _, sc := range s.store.Schemes().All() {
		schemes = append(schemes, views.Option{Value: sc.Code, Text: sc.Kind(string(lang))})
		if cur.Get("scheme") != "" && cur.Get("scheme") != sc.Code {
			continue
		}
		for _, l := range sc.Levels {
			if !seenLevel[l.Code] {
				seenLevel[l.Code] = true
				levels = append(levels, views.Option{Value: l.Code, Text: l.Name(string(lang))})
			}
		}
	}
	for _, st := range registry.Statuses {
		statuses = append(statuses, views.Option{Value: string(st), Text: lang.Render(st)})
	}
	for _, p := range sn.provinces {
		provinces = append(provinces, views.Option{Value: p, Text: registry.ProvinceName(p, string(lang))})
	}
	if p := cur.Get("province"); p != "" {
		for _, c := range sn.cities[p] {
			cities = append(cities, views.Option{Value: c, Text: c})
		}
	} else {
		for _, p := range sn.provinces {
			for _, c := range sn.cities[p] {
				cities = append(cities, views.Option{Value: c, Text: c})
			}
		}
	}
	if c := cur.Get("city"); c != "" && !hasOption(cities, c) {
		cities = append(cities, views.Option{Value: c, Text: c})
	}
	for _, b := range sn.bodies {
		bodies = append(bodies, views.Option{Value: b.Approval, Text: b.Name(string(lang))})
	}
	for _, y := range sn.stats.Years() {
		years = append(years, views.Option{Value: strconv.Itoa(y), Text: strconv.Itoa(y)})
	}
	defSort := (registry.Filter{Status: registry.Status(cur.Get("status"))}).DefaultSort()
	for _, so := range registry.Sorts {
		if so != defSort {
			sorts = append(sorts, views.Option{Value: so, Text: lang.T(sortKeys[so])})
		}
	}
	sortSel := sel("sort", lang.T("browse.sort"), sorts)
	sortSel.Options[0].Text = lang.T(sortKeys[defSort])
	return []views.Select{
		sel("scheme", lang.T("field.kind"), schemes),
		sel("level", lang.T("field.level"), levels),
		sel("status", lang.T("field.status"), statuses),
		sel("province", lang.T("field.province"), provinces),
		sel("city", lang.T("field.city"), cities),
		sel("body", lang.T("field.body"), bodies),
		sel("year", lang.T("field.year"), years),
		sortSel,
	}
}

func hasOption(opts []views.Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

// sortKeys are the message keys of the sort orders' names.
var sortKeys = map[string]string{
	registry.SortIssuedDesc: "sort.issued-desc",
	registry.SortIssuedAsc:  "sort.issued-asc",
	registry.SortExpiryAsc:  "sort.expiry-asc",
	registry.SortExpiryDesc: "sort.expiry-desc",
	registry.SortNumber:     "sort.number",
}

// numberGroups heads each kind of number match with what it is and how
// many it lists: the number itself, numbers that start with the query
// (labelled a prefix), numbers that hold it further in.
func (s *Server) numberGroups(lang i18n.Lang, f registry.Filter, m registry.NumberMatches) []views.ResultGroup {
	var out []views.ResultGroup
	count := func(n int) string {
		if m.More && n == registry.NumberMatchMax {
			return lang.Tf("browse.numbers.first", n)
		}
		return lang.Int(n)
	}
	if m.Exact != nil {
		out = append(out, views.ResultGroup{ID: "number-h", Heading: lang.T("browse.number.exact"), Items: s.items(lang, []*registry.Certificate{m.Exact})})
	}
	if len(m.Prefix) > 0 {
		out = append(out, views.ResultGroup{ID: "prefix-h", Heading: lang.Tf("browse.number.prefix", f.Query, count(len(m.Prefix))), Items: s.items(lang, m.Prefix)})
	}
	if len(m.Part) > 0 {
		out = append(out, views.ResultGroup{ID: "part-h", Heading: lang.Tf("browse.number.part", f.Query, count(len(m.Part))), Items: s.items(lang, m.Part)})
	}
	return out
}

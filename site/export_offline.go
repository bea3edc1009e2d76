package site

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// A static host runs no code, so the export writes, besides the pages the
// live site links to, what stands in for the server: a verdict page at
// every certificate's QR code URL, which checks the signature in the
// browser (static/offline.js), and a sharded search index.

// exportOffline writes the generic verdict page, the search index and
// the export's time (the certificates' verdict pages and QR images are
// written with the rest of their files: exportCertificates).
func (s *Server) exportOffline(ctx context.Context, out *exportFolder, res *ExportResult, plan *exportPlan) error {
	now := s.store.Now()
	// The page for any other /V/ URL, for hosts that can send unknown
	// paths under /V/ to one file (see HostHeaders): the script reads the
	// number from the address, so a damaged or forged code gets a verdict
	// instead of the host's bare 404.
	for _, lp := range []string{signing.QRPath, i18n.EN.Path(signing.QRPath)} {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, lp, nil)
		v := views.OfflineVerdictView{LiveURL: s.cfg.BaseURL + signing.QRPath, Host: s.canonicalHost()}
		if err := s.exportPage(req, out, res, views.OfflineVerdictPage(s.offlineBase(req, ""), v)); err != nil {
			return err
		}
	}
	files, err := plan.index.files()
	if err != nil {
		return err
	}
	info, err := s.exportInfo(now)
	if err != nil {
		return err
	}
	files = append(files, info)
	for _, f := range files {
		if err := exportWrite(out, f, res); err != nil {
			return err
		}
	}
	return nil
}

// exportVerdict writes a certificate's verdict pages, at the path its QR
// code opens, in both languages (qs is the certificate's signed QR code).
func (s *Server) exportVerdict(ctx context.Context, out *exportFolder, res *ExportResult, c *registry.Certificate, qs *signing.QRSignature, cl registry.Claims, now time.Time) error {
	status := c.EffectiveStatus(now)
	// The number may hold "/": the QR URL keeps it, and so does the
	// file tree (V/<token>/00114E22766R2L/3502/index.html).
	p := signing.QRPath + qs.Token() + "/" + qs.Number
	for _, lp := range []string{p, i18n.EN.Path(p)} {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, lp, nil)
		lang := langOf(req)
		v := views.OfflineVerdictView{
			Number:     qs.Number,
			RecordURL:  views.APICertificatePath(c.Number),
			Status:     string(status),
			StatusName: lang.Render(status),
			AsOf:       now,
			LiveURL:    qs.URL(s.cfg.BaseURL),
			Host:       s.canonicalHost(),
			Rows:       s.claimRows(lang, nil, cl.Record(), nil),
			CertURL:    views.CertificatePath(c.Number),
			// The PNG: a plain file server, which types a file by its
			// name's extension and these have none, serves it as
			// bytes that a browser still shows; an SVG it would not.
			QRImage: qrPath("png-256", qs),
			QRImages: []views.Link{
				{Text: "SVG", URL: qrPath("svg", qs)},
				{Text: "PNG 256 px", URL: qrPath("png-256", qs)},
			},
		}
		if err := s.exportPage(req, out, res, views.OfflineVerdictPage(s.offlineBase(req, v.Number), v)); err != nil {
			return err
		}
	}
	return nil
}

// exportQR writes a certificate's QR images, the PNGs of every size the
// live site serves and the SVG, from one encoding of the symbol: the
// certificate page links to all of them. The SVG is also handed to the
// site's image cache, where the certificate's pages, rendered next, find
// the drawing they show. Their paths hold the signature token: when the
// folder's images are current (see exportManifest.QRSalt), an image whose
// file exists is kept without drawing it again.
func (s *Server) exportQR(out *exportFolder, res *ExportResult, qs *signing.QRSignature, current bool) error {
	paths := []string{qrPath("svg", qs)}
	for _, f := range qrFormats {
		paths = append(paths, qrPath(f, qs))
	}
	content := qs.URL(s.cfg.BaseURL)
	if current && allExist(out.dir, paths) {
		res.Files += len(paths)
		res.Unchanged += len(paths)
		if name, err := exportName(out.dir, &exportFile{path: paths[0]}); err == nil {
			if svg, err := os.ReadFile(name); err == nil {
				s.verify.images.AddSVG(content, svg)
			}
		}
		return nil
	}
	sym, err := qrimage.Encode(content)
	if err != nil {
		return err
	}
	svg := sym.SVG()
	s.verify.images.AddSVG(content, svg)
	if err := exportWrite(out, &exportFile{path: paths[0], body: svg, ctype: "image/svg+xml"}, res); err != nil {
		return err
	}
	for i, f := range qrFormats {
		png, err := sym.PNG(qrSizes[f])
		if err != nil {
			return err
		}
		if err := exportWrite(out, &exportFile{path: paths[i+1], body: png, ctype: "image/png"}, res); err != nil {
			return err
		}
	}
	return nil
}

// allExist reports whether every path's file is in the folder.
func allExist(dir string, paths []string) bool {
	for _, p := range paths {
		if !fileExists(dir, p) {
			return false
		}
	}
	return true
}

// exportInfo is /export.json: when the export read the registry, in both
// languages as the verdict pages word it. A verdict page whose
// certificate did not change since an earlier export keeps that export's
// time; static/offline.js shows this one instead, which is as true.
func (s *Server) exportInfo(now time.Time) (*exportFile, error) {
	info := map[string]string{"exported_at": now.UTC().Format(time.RFC3339)}
	for _, l := range []i18n.Lang{i18n.ZH, i18n.EN} {
		info["status_as_of_"+string(l)] = l.Tf("offline.status_as_of", l.DateTime(now))
	}
	b, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	return &exportFile{path: views.ExportTimePath, body: append(b, '\n'), ctype: "application/json"}, nil
}

// offlineBase is the layout model of an offline verdict page.
func (s *Server) offlineBase(r *http.Request, number string) views.Base {
	lang := langOf(r)
	title := lang.T("offline.verdict.title")
	if number != "" {
		title = number + " · " + title
	}
	b := s.base(r, title)
	b.NoIndex = true
	b.Nav = "verify"
	return b
}

// exportPage renders c as the page at r's path and writes it.
func (s *Server) exportPage(r *http.Request, out *exportFolder, res *ExportResult, c templ.Component) error {
	rec := httptest.NewRecorder()
	if err := s.render(rec, r, http.StatusOK, c); err != nil {
		return err
	}
	return exportWrite(out, &exportFile{path: r.URL.Path, body: rec.Body.Bytes(), ctype: rec.Header().Get("Content-Type")}, res)
}

// exportWrite writes f if it changed and counts it in res.
func exportWrite(out *exportFolder, f *exportFile, res *ExportResult) error {
	changed, err := writeIfChanged(out, f)
	if err != nil {
		return err
	}
	res.Files++
	if changed {
		res.Written++
	} else {
		res.Unchanged++
	}
	return nil
}

// The search index: a static host cannot search, so the browser does,
// downloading only what a query needs. Every bigram (two consecutive
// characters) of a certificate's holder name, number and credit code,
// lower-cased, lists the certificates holding it; the bigrams are spread
// over searchShards files by a hash both sides compute, and the
// certificates' summaries over files of searchChunk. A query fetches the
// shards of its own bigrams, intersects their lists, then fetches the
// summaries of the candidates and keeps those that hold the whole query
// as a substring: 宁波 finds 宁波示例电器有限公司, 电器 too. Each filter of the
// list page (scheme, level, status, province, city, body, year) has a
// file per value listing its certificates, intersected the same way.
// Certificates are numbered newest first (issue date, then id), the live
// list's default order, so the first ids of any list are what it shows
// first.
const (
	searchShards = 128
	searchChunk  = 500
)

// searchFacets are the list page's filters the static copy applies, by
// their query parameter.
var searchFacets = []string{"scheme", "level", "status", "province", "city", "body", "year"}

// searchIndex collects the index during an export.
type searchIndex struct {
	docs     []searchDoc
	postings map[[2]rune][]int32
	facets   map[string]map[string][]int // facet → value → docs
	levels   map[string][2]string        // level code → names, Chinese and English
}

// searchDoc is a certificate's summary: number, holder name, credit code,
// effective status, URL number, level, scheme, city, issue date; and
// its id, which orders the docs.
type searchDoc struct {
	fields [9]string
	id     int64
}

func newSearchIndex(schemes *registry.Schemes) *searchIndex {
	x := &searchIndex{postings: map[[2]rune][]int32{}, facets: map[string]map[string][]int{}, levels: map[string][2]string{}}
	for _, sc := range schemes.All() {
		for _, l := range sc.Levels {
			x.levels[l.Code] = [2]string{l.NameZH, l.NameEN}
		}
	}
	for _, f := range searchFacets {
		x.facets[f] = map[string][]int{}
	}
	return x
}

// searchFields is the text a query is matched against, lower-cased; the
// fields are kept apart so that no bigram spans two of them.
func searchFields(number, name, code string) []string {
	return []string{strings.ToLower(name), strings.ToLower(number), strings.ToLower(code)}
}

func (x *searchIndex) add(c *registry.Certificate, status registry.Status) {
	n := len(x.docs)
	issued := c.IssueDate.Format(registry.DateLayout)
	x.docs = append(x.docs, searchDoc{id: c.ID, fields: [9]string{c.Number, c.HolderName, c.HolderCreditCode, string(status),
		views.URLNumber(c.Number), c.LevelCode, c.SchemeCode, c.City, issued}})
	var seen [][2]rune // a name has a few dozen bigrams: a list beats a map
	for _, f := range searchFields(c.Number, c.HolderName, c.HolderCreditCode) {
		r := []rune(f)
		for i := 0; i+1 < len(r); i++ {
			bg := [2]rune{r[i], r[i+1]}
			if !slices.Contains(seen, bg) {
				seen = append(seen, bg)
				x.postings[bg] = append(x.postings[bg], int32(n))
			}
		}
	}
	for facet, v := range map[string]string{
		"scheme": c.SchemeCode, "level": c.LevelCode, "status": string(status), "province": c.Province,
		"city": c.City, "body": c.BodyApproval, "year": strconv.Itoa(c.IssueDate.Year()),
	} {
		if v != "" {
			x.facets[facet][v] = append(x.facets[facet][v], n)
		}
	}
}

// renumbered returns the docs ids as ranked, in order.
func renumbered[T int | int32](ids []T, rank []int) []int {
	out := make([]int, len(ids))
	for i, n := range ids {
		out[i] = rank[n]
	}
	slices.Sort(out)
	return out
}

// SearchShard is the search index shard of a bigram: the same arithmetic as
// static/offline.js, on Unicode code points.
func SearchShard(bigram string) int {
	r := []rune(bigram)
	return searchShard([2]rune{r[0], r[1]})
}

func searchShard(bg [2]rune) int { return int((uint32(bg[0])*31 + uint32(bg[1])) % searchShards) }

// files returns the index's files: search/meta.json (with every facet's
// values), the bigram shards search/b/N.json, the facet lists
// search/f/FACET/N.json (N the value's place in meta's list) and the
// summaries search/d/N.json.
func (x *searchIndex) files() ([]*exportFile, error) {
	var out []*exportFile
	add := func(p string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		out = append(out, &exportFile{path: p, body: append(b, '\n'), ctype: "application/json"})
		return nil
	}
	// Number the docs newest first: rank[n] is doc n's place.
	order := make([]int, len(x.docs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := x.docs[order[i]], x.docs[order[j]]
		if a.fields[8] != b.fields[8] {
			return a.fields[8] > b.fields[8]
		}
		return a.id > b.id
	})
	rank := make([]int, len(order))
	for place, n := range order {
		rank[n] = place
	}
	statuses := map[string][2]string{}
	for _, st := range registry.Statuses {
		statuses[string(st)] = [2]string{i18n.ZH.Render(st), i18n.EN.Render(st)}
	}
	facetValues := map[string][]string{}
	for _, f := range searchFacets {
		vals := slices.Sorted(maps.Keys(x.facets[f]))
		facetValues[f] = vals
		for i, v := range vals {
			if err := add("/search/f/"+f+"/"+strconv.Itoa(i)+".json", renumbered(x.facets[f][v], rank)); err != nil {
				return nil, err
			}
		}
	}
	meta := map[string]any{
		"format": "certreg-search/2", "shards": searchShards, "chunk": searchChunk,
		"count": len(x.docs), "statuses": statuses, "levels": x.levels, "facets": facetValues,
	}
	if err := add("/search/meta.json", meta); err != nil {
		return nil, err
	}
	shards := make([]map[string][]int, searchShards)
	for i := range shards {
		shards[i] = map[string][]int{}
	}
	for bg, ids := range x.postings {
		shards[searchShard(bg)][string(bg[:])] = renumbered(ids, rank)
	}
	for i, sh := range shards {
		if err := add("/search/b/"+strconv.Itoa(i)+".json", sh); err != nil {
			return nil, err
		}
	}
	docs := make([][9]string, len(order))
	for place, n := range order {
		docs[place] = x.docs[n].fields
	}
	for i := 0; i*searchChunk < len(docs); i++ {
		end := min((i+1)*searchChunk, len(docs))
		if err := add("/search/d/"+strconv.Itoa(i)+".json", docs[i*searchChunk:end]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

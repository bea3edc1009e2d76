package site

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

const consolePerPage = 50

// listOwnCertificates lists the publisher's body's certificates, searched
// and filtered by status.
func (s *Server) listOwnCertificates(w http.ResponseWriter, r *http.Request, u *registry.User) error {
	lang := langOf(r)
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(1, min(page, 10000))
	v := views.ConsoleListView{Query: q.Get("q"), Status: q.Get("status")}
	f := registry.Filter{BodyID: u.BodyID, Query: v.Query, Page: page, PerPage: consolePerPage}
	v.Statuses = append(v.Statuses, views.Option{Value: "", Text: lang.T("console.list.allstatus")})
	for _, st := range registry.Statuses {
		v.Statuses = append(v.Statuses, views.Option{Value: string(st), Text: lang.Render(st), Selected: v.Status == string(st)})
		if v.Status == string(st) {
			f.Status = st
		}
	}
	res, err := s.store.Search(r.Context(), f)
	if err != nil {
		return err
	}
	now := s.now()
	seen := map[int64]bool{}
	add := func(c *registry.Certificate) {
		if seen[c.ID] || c.BodyID != u.BodyID {
			return
		}
		seen[c.ID] = true
		lvl := c.LevelCode
		if sc, ok := s.store.Schemes().Get(c.SchemeCode); ok {
			if l, ok := sc.Level(c.LevelCode); ok {
				lvl = l.Name(string(lang))
			}
		}
		v.Certs = append(v.Certs, views.ConsoleCert{Number: c.Number, Holder: c.HolderName, Level: lvl, Status: c.EffectiveStatus(now),
			Issue: c.IssueDate, Expiry: c.ExpiryDate, EditURL: lang.Path(views.ConsoleCertificatePath(c.Number))})
	}
	if page == 1 {
		for _, c := range res.Exact {
			add(c)
		}
	}
	for _, c := range res.Certificates {
		add(c)
	}
	v.Total = res.Total
	link := func(p int) string {
		qq := url.Values{}
		if v.Query != "" {
			qq.Set("q", v.Query)
		}
		if v.Status != "" {
			qq.Set("status", v.Status)
		}
		qq.Set("page", strconv.Itoa(p))
		return lang.Path(views.ConsolePath) + "?" + qq.Encode()
	}
	if page > 1 {
		v.Prev = link(page - 1)
	}
	if len(res.Certificates) == consolePerPage {
		v.Next = link(page + 1)
	}
	cb := s.consoleBase(r, u, "console.list.title", "certificates")
	cb.Flash = flash(r)
	return s.render(w, r, http.StatusOK, views.ConsoleList(cb, v))
}

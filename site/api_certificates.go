package site

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/translog"
	"github.com/certreg/certreg/views"
)

// apiCertificate is a certificate in the JSON API: its record, the status a
// reader must act on (expired derived), its pages and its history.
type apiCertificate struct {
	registry.Record
	EffectiveStatus registry.Status `json:"effective_status"`
	URL             string          `json:"url"`
	URLEN           string          `json:"url_en"`
	Feed            string          `json:"feed"`
	Version         int64           `json:"version"`
	UpdatedAt       time.Time       `json:"updated_at"`
	History         []apiEvent      `json:"history,omitempty"`
	// Log is the certificate's latest entry in the public transparency log
	// and the proof that it is in the current signed checkpoint.
	Log *translog.InclusionProof `json:"log,omitempty"`
	// Integrity is set when the row failed its integrity check (it
	// differs from the record of its latest event): effective_status is
	// then empty, never "valid", and nothing here may be relied on.
	Integrity *apiIntegrity `json:"integrity,omitempty"`
}

// apiIntegrity is a failed integrity check, as the API answers it.
type apiIntegrity struct {
	Verdict   registry.Verdict `json:"verdict"`
	MessageZH string           `json:"message_zh"`
	MessageEN string           `json:"message_en"`
}

type apiEvent struct {
	Kind          string            `json:"kind"`
	EffectiveDate string            `json:"effective_date,omitempty"`
	At            time.Time         `json:"at"`
	Reason        string            `json:"reason,omitempty"`
	Changes       []registry.Change `json:"changes,omitempty"`
}

func (s *Server) apiRecord(c *registry.Certificate, now time.Time) apiCertificate {
	p := views.CertificatePath(c.Number)
	return apiCertificate{
		Record: c.Record(s.store.Schemes()), EffectiveStatus: c.EffectiveStatus(now),
		URL: s.cfg.BaseURL + p, URLEN: s.cfg.BaseURL + i18n.EN.Path(p), Feed: s.cfg.BaseURL + views.CertificateFeedPath(c.Number),
		Version: c.Version, UpdatedAt: c.UpdatedAt,
	}
}

// apiShowCertificate is GET /api/v1/certificates/{number}.
func (s *Server) apiShowCertificate(w http.ResponseWriter, r *http.Request) error {
	seg := r.PathValue("number")
	c, err := s.certificate(r, views.ParseURLNumber(seg))
	if err != nil {
		return err
	}
	if seg != views.URLNumber(c.Number) {
		http.Redirect(w, r, views.APICertificatePath(c.Number), http.StatusMovedPermanently)
		return nil
	}
	evs, err := s.store.History(r.Context(), c.ID)
	if err != nil {
		return err
	}
	now := s.now()
	out := s.apiRecord(c, now)
	if ok, err := s.checkRow(r.Context(), c); err != nil {
		return err
	} else if !ok {
		vd := registry.VerdictIntegrity
		out.EffectiveStatus = ""
		out.Integrity = &apiIntegrity{Verdict: vd, MessageZH: i18n.ZH.Render(vd.Meaning()), MessageEN: i18n.EN.Render(vd.Meaning())}
	}
	for _, e := range evs {
		ae := apiEvent{Kind: e.Kind, At: e.At, Reason: e.Reason, Changes: e.Changes}
		if !e.EffectiveDate.IsZero() {
			ae.EffectiveDate = e.EffectiveDate.Format(registry.DateLayout)
		}
		out.History = append(out.History, ae)
	}
	if s.cfg.Log != nil {
		p, err := s.cfg.Log.Inclusion(r.Context(), c.Number)
		switch {
		case err == nil:
			out.Log = p
		case registry.ErrorCode(err) != registry.ENOTFOUND: // not logged yet: no proof
			return err
		}
	}
	return writeJSON(w, http.StatusOK, struct {
		Certificate apiCertificate `json:"certificate"`
		AsOf        time.Time      `json:"as_of"`
	}{out, now.UTC()})
}

// apiRedirectCertificate sends a number written with "/" to its canonical
// API URL.
func (s *Server) apiRedirectCertificate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.certificate(r, views.ParseURLNumber(strings.TrimSuffix(r.PathValue("rest"), "/")))
	if err != nil {
		return err
	}
	http.Redirect(w, r, views.APICertificatePath(c.Number), http.StatusMovedPermanently)
	return nil
}

// apiListCertificates is GET /api/v1/certificates?…: the browse page's
// filters, plus per_page (at most 100).
func (s *Server) apiListCertificates(w http.ResponseWriter, r *http.Request) error {
	perPage := 0
	if v := r.URL.Query().Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > registry.MaxPerPage {
			return registry.Errorf(registry.EINVALID, "per_page", "api.per_page_not_a_number", registry.MaxPerPage)
		}
		perPage = n
	}
	bq, err := s.parseBrowse(r, perPage)
	if err != nil {
		return err
	}
	f := bq.filter
	res, err := s.store.Search(r.Context(), f)
	if err != nil {
		return err
	}
	now := s.now()
	type page struct {
		Total        int              `json:"total"`
		TotalCapped  bool             `json:"total_capped,omitempty"`
		TotalUnknown bool             `json:"total_unknown,omitempty"`
		TotalAtLeast bool             `json:"total_at_least,omitempty"`
		Page         int              `json:"page"`
		PerPage      int              `json:"per_page"`
		Next         string           `json:"next,omitempty"`
		Partial      bool             `json:"partial,omitempty"`
		Exact        []apiCertificate `json:"exact,omitempty"`
		Certificates []apiCertificate `json:"certificates"`
		AsOf         time.Time        `json:"as_of"`
	}
	out := page{Total: res.Total, TotalCapped: res.Capped, TotalUnknown: res.Total < 0, TotalAtLeast: res.AtLeast, Page: f.Page, PerPage: f.PerPage,
		Partial: res.Partial, Certificates: []apiCertificate{}, AsOf: now.UTC()}
	if out.TotalUnknown {
		out.Total = 0
	}
	for _, c := range res.Exact {
		out.Exact = append(out.Exact, s.apiRecord(c, now))
	}
	for _, c := range res.Certificates {
		out.Certificates = append(out.Certificates, s.apiRecord(c, now))
	}
	if len(res.Certificates) == f.PerPage && (res.Total < 0 || res.AtLeast || f.Page*f.PerPage < res.Total) && f.Page*f.PerPage < registry.CountCap {
		q := bq.encode(f.Page + 1)
		if f.PerPage != registry.DefaultPerPage {
			sep := "?"
			if q != "" {
				sep = "&"
			}
			q += sep + "per_page=" + url.QueryEscape(strconv.Itoa(f.PerPage))
		}
		out.Next = s.cfg.BaseURL + views.APICertificatesPath + q
	}
	return writeJSON(w, http.StatusOK, out)
}

// showAPI describes the read API.
func (s *Server) showAPI(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	ex := views.APICertificatePath(sampleNumberOr(r, s))
	v := views.APIView{
		Endpoints: []views.Endpoint{
			{Method: "GET", Path: views.APICertificatesPath + "/{number}", Desc: lang.T("api.one"), Example: ex},
			{Method: "GET", Path: views.APICertificatesPath + "?q=…", Desc: lang.T("api.list"), Example: views.APICertificatesPath + "?level=five-star&city=" + url.QueryEscape("宁波")},
		},
	}
	for _, p := range [][2]string{
		{"q", "api.param.q"}, {"scheme", "api.param.scheme"}, {"level", "api.param.level"}, {"status", "api.param.status"},
		{"province", "api.param.province"}, {"city", "api.param.city"}, {"body", "api.param.body"}, {"year", "api.param.year"},
		{"sort", "api.param.sort"}, {"page", "api.param.page"}, {"per_page", "api.param.per_page"},
	} {
		v.Params = append(v.Params, views.Column{Name: p[0], Desc: lang.T(p[1])})
	}
	v.Log = s.logCheckView()
	b := s.base(r, lang.T("api.title"))
	return s.render(w, r, http.StatusOK, views.APIPage(b, v))
}

// sampleNumberOr returns the newest certificate's number for the API
// page's example, or a made-up one in an empty registry.
func sampleNumberOr(r *http.Request, s *Server) string {
	res, err := s.store.Search(r.Context(), registry.Filter{PerPage: 1})
	if err != nil || len(res.Certificates) == 0 {
		return "00114E22766R2L/3502"
	}
	return res.Certificates[0].Number
}

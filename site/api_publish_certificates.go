package site

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// forKey checks that a certificate the API was given is for key's body and
// makes it so: the body is the key's. line numbers the certificate in a
// batch (1-based) so that errors point at it.
func forKey(in *registry.Input, key *registry.APIKey, line int) error {
	if in.BodyApproval != "" && !strings.EqualFold(strings.TrimSpace(in.BodyApproval), key.BodyApproval) {
		return registry.Errorf(registry.EFORBIDDEN, "body_approval", "api.api_key_publishes_only", key.BodyApproval)
	}
	in.BodyApproval, in.Line = key.BodyApproval, line
	return nil
}

// pubPutResult is what a single create or update answers.
type pubPutResult struct {
	Action      string                `json:"action"` // create, update, unchanged
	Changes     []registry.Change     `json:"changes,omitempty"`
	Warnings    []registry.FieldError `json:"warnings,omitempty"`
	Certificate pubRecord             `json:"certificate"`
}

// pubRecord is a certificate as the API returns it: its record, its
// version and the URL of its public page.
type pubRecord struct {
	registry.Record
	EffectiveStatus registry.Status `json:"effective_status"`
	Version         int64           `json:"version"`
	URL             string          `json:"url"`
}

func (s *Server) pubRecord(c *registry.Certificate) pubRecord {
	return pubRecord{Record: c.Record(s.store.Schemes()), EffectiveStatus: c.EffectiveStatus(s.now()), Version: c.Version, URL: s.cfg.BaseURL + views.CertificatePath(c.Number)}
}

// pubOwnCertificate reads the certificate named in the path, if it is the
// key's body's; another body's certificate is not found, so that a key
// learns nothing it could not learn from the public site.
func (s *Server) pubOwnCertificate(a *apiRequest) (*registry.Certificate, error) {
	c, err := s.store.Certificate(a.r.Context(), views.ParseURLNumber(a.r.PathValue("number")))
	if err != nil {
		return nil, err
	}
	if c.BodyID != a.key.BodyID {
		return nil, registry.Errorf(registry.ENOTFOUND, "number", "api.your_body_has_no", c.Number)
	}
	return c, nil
}

// pubGetCertificate answers one of the body's certificates.
func (s *Server) pubGetCertificate(a *apiRequest) (int, any, error) {
	c, err := s.pubOwnCertificate(a)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.pubRecord(c), nil
}

// pubListResult is a page of the body's certificates.
type pubListResult struct {
	Total        int         `json:"total"`
	Page         int         `json:"page"`
	PerPage      int         `json:"per_page"`
	Certificates []pubRecord `json:"certificates"`
}

// pubListCertificates lists the body's own certificates, newest first,
// optionally searched (q) and filtered by status.
func (s *Server) pubListCertificates(a *apiRequest) (int, any, error) {
	q := a.r.URL.Query()
	f := registry.Filter{BodyID: a.key.BodyID, Query: q.Get("q"), Status: registry.Status(q.Get("status")), PerPage: 100}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 10000 {
			return 0, nil, registry.Errorf(registry.EINVALID, "page", "api.page_out_of_range")
		}
		f.Page = n
	}
	if p := q.Get("per_page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1000 {
			return 0, nil, registry.Errorf(registry.EINVALID, "per_page", "api.per_page_out_of_range")
		}
		f.PerPage = n
	}
	res, err := s.store.Search(a.r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	out := pubListResult{Total: res.Total, Page: max(f.Page, 1), PerPage: f.PerPage, Certificates: []pubRecord{}}
	seen := map[int64]bool{}
	if out.Page == 1 {
		for _, c := range res.Exact {
			if c.BodyID == a.key.BodyID && !seen[c.ID] {
				seen[c.ID] = true
				out.Certificates = append(out.Certificates, s.pubRecord(c))
			}
		}
	}
	for _, c := range res.Certificates {
		if !seen[c.ID] {
			out.Certificates = append(out.Certificates, s.pubRecord(c))
		}
	}
	return http.StatusOK, out, nil
}

// pubPutCertificate creates or updates the certificate named in the path.
func (s *Server) pubPutCertificate(a *apiRequest) (int, any, error) {
	var in registry.Input
	if err := a.decode(&in); err != nil {
		return 0, nil, err
	}
	number := views.ParseURLNumber(a.r.PathValue("number"))
	if in.Number == "" {
		in.Number = number
	}
	if registry.NumberKey(strings.TrimSpace(in.Number)) != registry.NumberKey(number) {
		return 0, nil, registry.Invalid("number", "api.number_body_differs_from", in.Number, number)
	}
	// Another body's certificate: forbidden, said plainly (its existence is
	// public), before validation says anything about it.
	if old, err := s.store.Certificate(a.r.Context(), number); err == nil && old.BodyID != a.key.BodyID {
		return 0, nil, registry.Errorf(registry.EFORBIDDEN, "number", "api.certificate_belongs_another_body", old.Number)
	}
	if err := forKey(&in, a.key, 0); err != nil {
		return 0, nil, err
	}
	res, err := s.store.PutCertificates(a.r.Context(), a.actor(), []registry.Input{in}, registry.ImportOptions{KeepItems: true})
	if err != nil {
		return 0, nil, err
	}
	saved, err := s.store.Certificate(a.r.Context(), number)
	if err != nil {
		return 0, nil, err
	}
	out := pubPutResult{Warnings: res.Warnings, Certificate: s.pubRecord(saved)}
	if len(res.Items) == 1 {
		out.Action, out.Changes = res.Items[0].Action, res.Items[0].Changes
	}
	status := http.StatusOK
	if out.Action == "create" {
		status = http.StatusCreated
	}
	return status, out, nil
}

// pubBatch is a batch of certificates, written all or nothing. Each is
// read on its own, so that a problem names its place in the batch.
type pubBatch struct {
	Certificates []json.RawMessage `json:"certificates"`
	DryRun       bool              `json:"dry_run,omitempty"`
}

// pubBatchResult says what a batch did (or, dry, would do).
type pubBatchResult struct {
	DryRun    bool                  `json:"dry_run"`
	Created   int                   `json:"created"`
	Updated   int                   `json:"updated"`
	Unchanged int                   `json:"unchanged"`
	Items     []registry.ImportItem `json:"items"`
	Warnings  []registry.FieldError `json:"warnings,omitempty"`
}

// pubPutBatch creates and updates a batch of certificates in one
// transaction, with the importer's validation: any bad certificate and
// nothing is written; every problem is listed, its "line" the certificate's
// 1-based position in the batch.
func (s *Server) pubPutBatch(a *apiRequest) (int, any, error) {
	var b pubBatch
	if err := a.decode(&b); err != nil {
		return 0, nil, err
	}
	if len(b.Certificates) > maxBatchSize {
		return 0, nil, registry.Invalid("certificates", "api.batch_holds_at_most", maxBatchSize)
	}
	inputs := make([]registry.Input, len(b.Certificates))
	var problems registry.ValidationErrors
	for i, raw := range b.Certificates {
		inputs[i].Line = i + 1
		err := decodeStrict(raw, &inputs[i])
		if err == nil {
			err = forKey(&inputs[i], a.key, i+1)
		}
		var ve registry.ValidationErrors
		switch {
		case asValidation(err, &ve):
			problems = append(problems, ve...)
		case err != nil:
			return 0, nil, err
		}
	}
	if len(problems) > 0 {
		return 0, nil, problems
	}
	res, err := s.store.PutCertificates(a.r.Context(), a.actor(), inputs, registry.ImportOptions{KeepItems: true, DryRun: b.DryRun})
	if err != nil {
		return 0, nil, err
	}
	if !b.DryRun {
		s.metrics.imports(fromAPI, res.Created, res.Updated, res.Unchanged)
	}
	out := pubBatchResult{DryRun: b.DryRun, Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged, Items: res.Items, Warnings: res.Warnings}
	if out.Items == nil {
		out.Items = []registry.ImportItem{}
	}
	return http.StatusOK, out, nil
}

// pubStatusChange moves a certificate to another status.
type pubStatusChange struct {
	Status        string `json:"status"` // suspended, valid (reinstate), revoked, withdrawn
	EffectiveDate string `json:"effective_date,omitempty"`
	Reason        string `json:"reason"`
}

func (s *Server) pubChangeStatus(a *apiRequest) (int, any, error) {
	var req pubStatusChange
	if err := a.decode(&req); err != nil {
		return 0, nil, err
	}
	to, ok := registry.ParseStatus(req.Status)
	if !ok || strings.TrimSpace(req.Status) == "" {
		return 0, nil, registry.Invalid("status", "api.status_must_valid_suspended")
	}
	var eff time.Time
	if req.EffectiveDate != "" {
		d, err := registry.ParseDate(req.EffectiveDate)
		if err != nil {
			return 0, nil, registry.Invalid("effective_date", "api.effective_date_invalid", req.EffectiveDate)
		}
		eff = d
	}
	c, err := s.store.ChangeStatus(a.r.Context(), a.actor(), registry.StatusChange{
		Number: views.ParseURLNumber(a.r.PathValue("number")), To: to, Effective: eff, Reason: req.Reason})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.pubRecord(c), nil
}

// pubSurveillance is one surveillance audit.
type pubSurveillance struct {
	Date   string `json:"date"`
	Result string `json:"result"` // pass or fail
	Note   string `json:"note,omitempty"`
}

func (s *Server) pubAddSurveillance(a *apiRequest) (int, any, error) {
	var req pubSurveillance
	if err := a.decode(&req); err != nil {
		return 0, nil, err
	}
	d, err := registry.ParseDate(req.Date)
	if err != nil {
		return 0, nil, registry.Invalid("date", "registry.surveillance_audit_date_invalid", req.Date)
	}
	res, ok := registry.ParseAuditResult(req.Result)
	if !ok {
		return 0, nil, registry.Invalid("result", "api.result_must_pass_fail")
	}
	c, err := s.store.AddSurveillance(a.r.Context(), a.actor(), views.ParseURLNumber(a.r.PathValue("number")),
		registry.Surveillance{Date: d, Result: res, Note: req.Note})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.pubRecord(c), nil
}

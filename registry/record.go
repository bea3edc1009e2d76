package registry

import (
	"strconv"
	"time"
)

// Record is a certificate as the open data (NDJSON export), the API and the
// event snapshots write it. Dates are YYYY-MM-DD; empty fields are omitted.
type Record struct {
	Number            string         `json:"number"`
	HolderName        string         `json:"holder_name"`
	HolderCreditCode  string         `json:"holder_credit_code"`
	CreditCodeWarning bool           `json:"credit_code_warning,omitempty"`
	HolderAddress     string         `json:"holder_address,omitempty"`
	Province          string         `json:"province"`
	City              string         `json:"city,omitempty"`
	Scheme            string         `json:"scheme"`
	Standard          string         `json:"standard"`
	Score             *float64       `json:"score,omitempty"`
	Level             string         `json:"level"`
	Scope             string         `json:"scope"`
	FirstIssueDate    string         `json:"first_issue_date"`
	IssueDate         string         `json:"issue_date"`
	ExpiryDate        string         `json:"expiry_date"`
	BodyApproval      string         `json:"body_approval"`
	BodyName          string         `json:"body_name"`
	Status            Status         `json:"status"`
	StatusDate        string         `json:"status_date,omitempty"`
	Stage1Date        string         `json:"stage1_date,omitempty"`
	Stage2Date        string         `json:"stage2_date,omitempty"`
	CPSQ              *float64       `json:"cpsq,omitempty"`
	Surveillance      []Surveillance `json:"surveillance,omitempty"`
}

// Record returns the certificate's record. The status is the stored one;
// readers derive expiry from ExpiryDate.
func (c *Certificate) Record(schemes *Schemes) Record {
	r := Record{
		Number: c.Number, HolderName: c.HolderName, HolderCreditCode: c.HolderCreditCode,
		CreditCodeWarning: c.CreditCodeWarning, HolderAddress: c.HolderAddress,
		Province: c.Province, City: c.City, Scheme: c.SchemeCode, Level: c.LevelCode, Scope: c.Scope,
		FirstIssueDate: dateString(c.FirstIssueDate), IssueDate: dateString(c.IssueDate), ExpiryDate: dateString(c.ExpiryDate),
		BodyApproval: c.BodyApproval, BodyName: c.BodyNameZH, Status: c.Status, StatusDate: dateString(c.StatusDate),
		Stage1Date: dateString(c.Stage1Date), Stage2Date: dateString(c.Stage2Date), Surveillance: c.Surveillance,
	}
	if sc, ok := schemes.Get(c.SchemeCode); ok {
		r.Standard = sc.Standard
	}
	if c.HasScore {
		r.Score = &c.Score
	}
	if c.HasCPSQ {
		r.CPSQ = &c.CPSQ
	}
	return r
}

// Input returns the record as an import input, so that exported data
// imports back to the same registry.
func (r *Record) Input() Input {
	in := Input{
		Number: r.Number, HolderName: r.HolderName, HolderCreditCode: r.HolderCreditCode,
		HolderAddress: r.HolderAddress, Province: r.Province, City: r.City, Scheme: r.Scheme,
		Level: r.Level, Scope: r.Scope, FirstIssueDate: r.FirstIssueDate, IssueDate: r.IssueDate,
		ExpiryDate: r.ExpiryDate, BodyApproval: r.BodyApproval, BodyName: r.BodyName, Status: string(r.Status), StatusDate: r.StatusDate,
		Stage1Date: r.Stage1Date, Stage2Date: r.Stage2Date, Surveillance: FormatSurveillanceList(r.Surveillance),
	}
	if r.Score != nil {
		in.Score = strconv.FormatFloat(*r.Score, 'f', -1, 64)
	}
	if r.CPSQ != nil {
		in.CPSQ = strconv.FormatFloat(*r.CPSQ, 'f', -1, 64)
	}
	return in
}

func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(DateLayout)
}

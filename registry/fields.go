package registry

import (
	"strconv"
	"time"
)

// A certificate's fields are described once, in Fields, next to the three
// shapes a certificate takes: Input (as a publisher states it: an import
// row, a form, an API call), Certificate (as the registry holds it) and
// Record (as the API, the open data and the log write it). The import
// columns and templates, the console's form, the publishing API's JSON,
// the store's columns, the open data's CSV and the diff of every change
// are all driven by the table. A field of a generic kind (text, a date, a
// number) needs nothing else: a row in the table, a field in each shape
// below, a migration that adds its column, and its names in the message
// catalogue (site/i18n). Fields with rules of their own (the number, the
// holder's code, the scheme, score and level, the status, the body, the
// audits) are handled by name in Validate and the store.

// Kind is how a field is typed and entered.
type Kind int

// Kinds of fields.
const (
	// KindText is text: free text is trimmed, has no control characters
	// and at most Max characters. KindLongText is the same, entered in a
	// text area.
	KindText Kind = iota
	KindLongText
	// KindDate is a calendar date: entered in any form ParseDate reads,
	// stored and exchanged as YYYY-MM-DD.
	KindDate
	// KindNumber is a number from 0 to 100, entered as text, a JSON number
	// in the API.
	KindNumber
	// KindChoice is one of a set (a scheme, a status).
	KindChoice
	// KindList is the list of surveillance audits: "date result note; …"
	// in a file or a form, an array of objects in JSON.
	KindList
)

// Field describes one field of a certificate.
type Field struct {
	// Name is the field's name everywhere it is exchanged: the API and
	// open-data JSON key, the English CSV header, the console form's input
	// and, for a generic field, the certificates table's column.
	Name string
	// Column is the message key (site/i18n) of the field's name as a
	// column and in messages ("获证组织名称", "holder name"); Desc that of
	// what the column holds; Label that of its label on public pages
	// ("获证组织", "Certificate holder"); Help, if not empty, that of the
	// hint under the console's input.
	Column, Desc, Label, Help string
	// ZH is the Chinese header of the import template; Aliases are other
	// headers an import file may use.
	ZH      string
	Aliases []string
	Kind    Kind
	// Required fields must be given by every import row, form and API
	// call. Max bounds a text field, in characters.
	Required bool
	Max      int
	// Form fields are on the console's certificate form; API fields are
	// taken by the publishing API. Input-only fields (a status change's
	// reason, a new body's name) are not kept in the Certificate; History
	// fields are compared by the diff of every change.
	Form, API, InputOnly, History bool

	in   func(*Input) *string
	rec  func(*Record) *string      // a field the Record holds as text
	text func(*Certificate) *string // KindText, KindLongText
	date func(*Certificate) *time.Time
	num  func(*Certificate) (*float64, *bool)
	rnum func(*Record) **float64
}

// Fields is every field of a certificate, in the order of the import
// template. It is not to be modified.
var Fields = []Field{
	{Name: "number", Column: "column.number", Desc: "column.number.desc", Label: "field.number", ZH: "证书编号", Aliases: []string{"certificate_number", "证书号"},
		Kind: KindText, Required: true, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.Number }, rec: func(r *Record) *string { return &r.Number }},
	{Name: "holder_name", Column: "column.holder_name", Desc: "column.holder_name.desc", Label: "field.holder_name", ZH: "获证组织名称", Aliases: []string{"获证组织", "组织名称", "holder"},
		Kind: KindText, Max: 200, Required: true, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.HolderName }, rec: func(r *Record) *string { return &r.HolderName },
		text: func(c *Certificate) *string { return &c.HolderName }},
	{Name: "holder_credit_code", Column: "column.holder_credit_code", Desc: "column.holder_credit_code.desc", Label: "field.holder_credit_code", Help: "console.help.holder_credit_code", ZH: "统一社会信用代码", Aliases: []string{"credit_code", "信用代码"},
		Kind: KindText, Required: true, Form: true, API: true,
		in: func(in *Input) *string { return &in.HolderCreditCode }, rec: func(r *Record) *string { return &r.HolderCreditCode }},
	{Name: "holder_address", Column: "column.holder_address", Desc: "column.holder_address.desc", Label: "field.holder_address", ZH: "获证组织地址", Aliases: []string{"地址", "address"},
		Kind: KindText, Max: 300, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.HolderAddress }, rec: func(r *Record) *string { return &r.HolderAddress },
		text: func(c *Certificate) *string { return &c.HolderAddress }},
	{Name: "province", Column: "column.province", Desc: "column.province.desc", Label: "field.province", ZH: "省份", Aliases: []string{"省"},
		Kind: KindText, Max: 40, Required: true, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.Province }, rec: func(r *Record) *string { return &r.Province },
		text: func(c *Certificate) *string { return &c.Province }},
	{Name: "city", Column: "column.city", Desc: "column.city.desc", Label: "field.city", ZH: "城市", Aliases: []string{"市"},
		Kind: KindText, Max: 40, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.City }, rec: func(r *Record) *string { return &r.City },
		text: func(c *Certificate) *string { return &c.City }},
	{Name: "scheme", Column: "column.scheme", Desc: "column.scheme.desc", Label: "field.scheme", ZH: "认证依据", Aliases: []string{"standard", "认证标准"},
		Kind: KindChoice, Required: true, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.Scheme }, rec: func(r *Record) *string { return &r.Scheme }},
	{Name: "score", Column: "column.score", Desc: "column.score.desc", Label: "field.score", Help: "console.help.score", ZH: "评价得分", Aliases: []string{"得分", "分数"},
		Kind: KindNumber, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.Score }, rnum: func(r *Record) **float64 { return &r.Score }},
	{Name: "level", Column: "column.level", Desc: "column.level.desc", Label: "field.level", ZH: "星级", Aliases: []string{"等级", "认证等级"},
		Kind: KindText, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.Level }, rec: func(r *Record) *string { return &r.Level }},
	{Name: "scope", Column: "column.scope", Desc: "column.scope.desc", Label: "field.scope", ZH: "认证范围", Aliases: []string{"范围"},
		Kind: KindLongText, Max: 2000, Required: true, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.Scope }, rec: func(r *Record) *string { return &r.Scope },
		text: func(c *Certificate) *string { return &c.Scope }},
	{Name: "first_issue_date", Column: "column.first_issue_date", Desc: "column.first_issue_date.desc", Label: "field.first_issue_date", ZH: "初次发证日期", Aliases: []string{"首次发证日期"},
		Kind: KindDate, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.FirstIssueDate }, rec: func(r *Record) *string { return &r.FirstIssueDate },
		date: func(c *Certificate) *time.Time { return &c.FirstIssueDate }},
	{Name: "issue_date", Column: "column.issue_date", Desc: "column.issue_date.desc", Label: "field.issue_date", ZH: "发证日期", Aliases: []string{"颁证日期"},
		Kind: KindDate, Required: true, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.IssueDate }, rec: func(r *Record) *string { return &r.IssueDate },
		date: func(c *Certificate) *time.Time { return &c.IssueDate }},
	{Name: "expiry_date", Column: "column.expiry_date", Desc: "column.expiry_date.desc", Label: "field.expiry_date", ZH: "有效期至", Aliases: []string{"到期日期", "证书到期日期", "有效期截止日期"},
		Kind: KindDate, Required: true, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.ExpiryDate }, rec: func(r *Record) *string { return &r.ExpiryDate },
		date: func(c *Certificate) *time.Time { return &c.ExpiryDate }},
	{Name: "status", Column: "column.status", Desc: "column.status.desc", Label: "field.status", ZH: "证书状态", Aliases: []string{"状态"},
		Kind: KindChoice, API: true, History: true,
		in: func(in *Input) *string { return &in.Status }},
	{Name: "status_date", Column: "column.status_date", Desc: "column.status_date.desc", Label: "field.status_date", ZH: "状态变更日期", Aliases: []string{"状态日期"},
		Kind: KindDate,
		in:   func(in *Input) *string { return &in.StatusDate }, rec: func(r *Record) *string { return &r.StatusDate },
		date: func(c *Certificate) *time.Time { return &c.StatusDate }},
	{Name: "status_reason", Column: "column.status_reason", Desc: "column.status_reason.desc", Label: "field.status_reason", ZH: "状态变更原因", Aliases: []string{"原因"},
		Kind: KindText, Max: 500, API: true, InputOnly: true,
		in: func(in *Input) *string { return &in.StatusReason }},
	{Name: "body_approval", Column: "column.body_approval", Desc: "column.body_approval.desc", Label: "field.body_approval", ZH: "认证机构批准号", Aliases: []string{"批准号", "approval"},
		Kind: KindText, Required: true, API: true,
		in: func(in *Input) *string { return &in.BodyApproval }, rec: func(r *Record) *string { return &r.BodyApproval }},
	{Name: "body_name", Column: "column.body_name", Desc: "column.body_name.desc", Label: "field.body_name", ZH: "认证机构名称", Aliases: []string{"认证机构", "body"},
		Kind: KindText, Max: 200, InputOnly: true,
		in: func(in *Input) *string { return &in.BodyName }, rec: func(r *Record) *string { return &r.BodyName }},
	{Name: "stage1_date", Column: "column.stage1_date", Desc: "column.stage1_date.desc", Label: "field.stage1_date", ZH: "一阶段审核日期", Aliases: []string{"第一阶段审核日期"},
		Kind: KindDate, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.Stage1Date }, rec: func(r *Record) *string { return &r.Stage1Date },
		date: func(c *Certificate) *time.Time { return &c.Stage1Date }},
	{Name: "stage2_date", Column: "column.stage2_date", Desc: "column.stage2_date.desc", Label: "field.stage2_date", ZH: "二阶段审核日期", Aliases: []string{"第二阶段审核日期"},
		Kind: KindDate, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.Stage2Date }, rec: func(r *Record) *string { return &r.Stage2Date },
		date: func(c *Certificate) *time.Time { return &c.Stage2Date }},
	{Name: "cpsq", Column: "column.cpsq", Desc: "column.cpsq.desc", Label: "field.cpsq", ZH: "顾客感知服务质量指数", Aliases: []string{"CPSQ"},
		Kind: KindNumber, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.CPSQ }, rnum: func(r *Record) **float64 { return &r.CPSQ },
		num: func(c *Certificate) (*float64, *bool) { return &c.CPSQ, &c.HasCPSQ }},
	{Name: "surveillance", Column: "column.surveillance", Desc: "column.surveillance.desc", Label: "field.surveillance", Help: "console.help.surveillance", ZH: "监督审核", Aliases: []string{"监督审核记录"},
		Kind: KindList, Form: true, API: true, History: true,
		in: func(in *Input) *string { return &in.Surveillance }},
}

// FieldNamed returns the field called name.
func FieldNamed(name string) (Field, bool) {
	for _, f := range Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Generic reports whether the field is kept in the Certificate, stored and
// read by the table alone: text, a date or a number with no rule of its
// own.
func (f *Field) Generic() bool { return f.text != nil || f.date != nil || f.num != nil }

// Value returns the field's value in an input, as typed.
func (f *Field) Value(in *Input) string { return *f.in(in) }

// Set sets the field's value in an input.
func (f *Field) Set(in *Input, v string) { *f.in(in) = v }

// Show returns the field's value in a record as people read it and as the
// CSV open data writes it: dates YYYY-MM-DD, numbers without trailing
// zeros, audits as "date result note; …", "" when empty.
func (f *Field) Show(r *Record) string {
	switch {
	case f.rec != nil:
		return *f.rec(r)
	case f.rnum != nil:
		return floatString(*f.rnum(r))
	case f.Name == "status":
		return string(r.Status)
	case f.Name == "surveillance":
		return FormatSurveillanceList(r.Surveillance)
	}
	return ""
}

func floatString(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// Certificate is a service certificate as the registry holds it now.
type Certificate struct {
	ID                int64
	Number            string
	HolderName        string
	HolderCreditCode  string
	CreditCodeWarning bool // the credit code failed its check character
	HolderAddress     string
	Province          string
	City              string
	SchemeCode        string
	Score             float64
	HasScore          bool
	LevelCode         string
	Scope             string
	FirstIssueDate    time.Time
	IssueDate         time.Time
	ExpiryDate        time.Time
	BodyID            int64
	BodyApproval      string
	BodyNameZH        string
	BodyNameEN        string
	Status            Status // stored status, never expired
	StatusDate        time.Time
	Stage1Date        time.Time
	Stage2Date        time.Time
	CPSQ              float64
	HasCPSQ           bool
	Surveillance      []Surveillance
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Version           int64 // 1 on creation, +1 on every change
}

// Input is a certificate as a publisher states it: from an import row, a
// form or the API. Fields are strings as typed; Validate parses them.
type Input struct {
	Line             int // source line, for messages; 0 when not from a file
	Number           string
	HolderName       string
	HolderCreditCode string
	HolderAddress    string
	Province         string
	City             string
	Scheme           string // code or standard number
	Score            string
	Level            string // optional; must match the level the score earns
	Scope            string
	FirstIssueDate   string // optional; defaults to IssueDate
	IssueDate        string
	ExpiryDate       string
	BodyApproval     string
	BodyName         string // optional; lets the CLI import create a new body
	Status           string // optional; defaults to valid
	StatusDate       string // optional; the day a stated status took effect
	StatusReason     string
	Stage1Date       string
	Stage2Date       string
	CPSQ             string
	Surveillance     string // "2024-05-01 通过; 2025-05-03 pass"

	// Headers maps a field to its column's header as the file wrote it,
	// so that a problem names the column the publisher sees.
	Headers map[string]string
}

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

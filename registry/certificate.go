package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is the stored status of a certificate, in the national platform's
// vocabulary. Expired is never stored: it is derived from the expiry date
// when a certificate is read (see Certificate.EffectiveStatus).
type Status string

// Statuses.
const (
	StatusValid     Status = "valid"     // 有效
	StatusSuspended Status = "suspended" // 暂停
	StatusRevoked   Status = "revoked"   // 撤销
	StatusWithdrawn Status = "withdrawn" // 注销
	StatusExpired   Status = "expired"   // 过期 (derived only)
)

// Statuses lists every status a reader can see, stored ones first.
var Statuses = []Status{StatusValid, StatusSuspended, StatusRevoked, StatusWithdrawn, StatusExpired}

// statusKeys are the message keys of the statuses' names.
var statusKeys = map[Status]string{
	StatusValid:     "status.valid",
	StatusSuspended: "status.suspended",
	StatusRevoked:   "status.revoked",
	StatusWithdrawn: "status.withdrawn",
	StatusExpired:   "status.expired",
}

// MessageKey is the message key of the status's name: a Status given as a
// message's argument reads as its name.
func (s Status) MessageKey() string {
	if k, ok := statusKeys[s]; ok {
		return k
	}
	return "status.unknown"
}

// Description is the message that says what the status means for a
// reader.
func (s Status) Description() Key { return statusDescriptions[s] }

var statusDescriptions = map[Status]Key{
	StatusValid:     "status.valid.desc",
	StatusSuspended: "status.suspended.desc",
	StatusRevoked:   "status.revoked.desc",
	StatusWithdrawn: "status.withdrawn.desc",
	StatusExpired:   "status.expired.desc",
}

// ParseStatus reads a status as written in English or Chinese. Expired is
// not accepted: it cannot be set, only derived.
func ParseStatus(s string) (Status, bool) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "valid", "有效", "":
		return StatusValid, true
	case "suspended", "暂停":
		return StatusSuspended, true
	case "revoked", "撤销":
		return StatusRevoked, true
	case "withdrawn", "注销":
		return StatusWithdrawn, true
	}
	return "", false
}

// CanMove reports whether a certificate may move from one stored status to
// another: valid and suspended move to each other, and either moves to
// revoked or withdrawn, which are final.
func CanMove(from, to Status) bool {
	switch from {
	case StatusValid:
		return to == StatusSuspended || to == StatusRevoked || to == StatusWithdrawn
	case StatusSuspended:
		return to == StatusValid || to == StatusRevoked || to == StatusWithdrawn
	}
	return false
}

// Event kinds, as kept in a certificate's history and the public log.
const (
	EventIssued       = "issued"
	EventChanged      = "changed"
	EventSuspended    = "suspended"
	EventReinstated   = "reinstated"
	EventRevoked      = "revoked"
	EventWithdrawn    = "withdrawn"
	EventSurveillance = "surveillance"
)

// eventForMove is the event kind that records a status move.
func eventForMove(to Status) string {
	switch to {
	case StatusSuspended:
		return EventSuspended
	case StatusValid:
		return EventReinstated
	case StatusRevoked:
		return EventRevoked
	case StatusWithdrawn:
		return EventWithdrawn
	}
	return EventChanged
}

// Date layout used everywhere the registry stores or exchanges a date.
const DateLayout = "2006-01-02"

// Surveillance is one surveillance audit (监督审核).
type Surveillance struct {
	Date   time.Time `json:"date"`
	Result string    `json:"result"` // "pass" (通过) or "fail" (不通过)
	Note   string    `json:"note,omitempty"`
}

// EffectiveStatus is the status a reader sees on day now: a valid or
// suspended certificate whose expiry date has passed is expired.
func (c *Certificate) EffectiveStatus(now time.Time) Status {
	if (c.Status == StatusValid || c.Status == StatusSuspended) && !c.ExpiryDate.IsZero() && Today(now).After(c.ExpiryDate) {
		return StatusExpired
	}
	return c.Status
}

// Today returns the calendar day of t in China Standard Time, as a date at
// UTC midnight like every other date in the registry.
func Today(t time.Time) time.Time {
	t = t.In(chinaTime)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

var chinaTime = time.FixedZone("CST", 8*3600)

// ChinaTime is UTC+8, the time zone in which certificate dates are read.
func ChinaTime() *time.Location { return chinaTime }

// column fills in the column of a problem with the row's file header.
func (in *Input) column(fe FieldError) FieldError {
	if fe.Column == "" && in.Headers != nil {
		fe.Column = in.Headers[fe.Field]
	}
	return fe
}

// limits on free-text fields, in characters.
const (
	maxHolderName = 200
	maxAddress    = 300
	maxScope      = 2000
	maxPlace      = 40
	maxReason     = 500
	maxBodyName   = 200
)

// Validate turns an Input into a Certificate (without IDs), using schemes to
// derive the level. It returns every problem it finds; warnings come back
// separately and do not make the input invalid. Fields of a generic kind
// are checked as the table describes them; the others by their own rules.
func (in *Input) Validate(schemes *Schemes) (c Certificate, warnings []FieldError, errs ValidationErrors) {
	add := func(fe *FieldError) {
		if fe != nil {
			fe.Line = in.Line
			errs = append(errs, *fe)
		}
	}
	parsed := map[string]bool{} // date fields that parsed
	for i := range Fields {
		f := &Fields[i]
		v := f.Value(in)
		var fe *FieldError
		switch f.Name {
		case "number":
			c.Number, fe = NormalizeNumber(v)
		case "holder_credit_code":
			code, ok, cfe := NormalizeCreditCode(v)
			c.HolderCreditCode, fe = code, cfe
			if cfe == nil && !ok {
				w := CreditCodeWarning(code)
				w.Line = in.Line
				warnings = append(warnings, w)
				c.CreditCodeWarning = true
			}
		case "scheme":
			fe = in.validateScheme(schemes, &c)
		case "score", "level":
			// validateScheme reads them: the level follows from the score.
		case "status":
			fe = validateStatus(v, &c)
		case "body_approval":
			c.BodyApproval, fe = NormalizeApproval(v)
		case "surveillance":
			c.Surveillance, fe = ParseSurveillanceList(v)
		default:
			switch f.Kind { // the generic kinds
			case KindText, KindLongText:
				var s string
				s, fe = cleanText(f.Name, Key(f.Column), v, f.Max, f.Required)
				switch {
				case f.text != nil:
					*f.text(&c) = s
				case f.Name == "body_name":
					c.BodyNameZH = s
				}
			case KindDate:
				var t time.Time
				t, fe = parseDateField(f.Name, Key(f.Column), v, f.Required)
				*f.date(&c) = t
				parsed[f.Name] = fe == nil
			case KindNumber:
				x, has, nfe := parseNumberField(f.Name, Key(f.Column), v)
				fe = nfe
				p, set := f.num(&c)
				*p, *set = x, has
			}
		}
		add(fe)
	}

	issueOK, expiryOK := parsed["issue_date"], parsed["expiry_date"]
	if issueOK && expiryOK && !c.ExpiryDate.After(c.IssueDate) {
		add(ptr(fieldErr("expiry_date", "registry.expiry_date_must_after", c.ExpiryDate.Format(DateLayout), c.IssueDate.Format(DateLayout))))
	}
	if issueOK && expiryOK && c.ExpiryDate.After(c.IssueDate.AddDate(6, 0, 0)) {
		add(ptr(fieldErr("expiry_date", "registry.expiry_date_more_than", c.ExpiryDate.Format(DateLayout))))
	}
	if parsed["first_issue_date"] && issueOK {
		if c.FirstIssueDate.IsZero() {
			c.FirstIssueDate = c.IssueDate
		} else if c.FirstIssueDate.After(c.IssueDate) {
			add(ptr(fieldErr("first_issue_date", "registry.first_issue_date_cannot", c.FirstIssueDate.Format(DateLayout), c.IssueDate.Format(DateLayout))))
		}
	}
	if parsed["stage1_date"] && parsed["stage2_date"] {
		if !c.Stage2Date.IsZero() && c.Stage1Date.IsZero() {
			add(ptr(fieldErr("stage1_date", "registry.stage2_needs_stage1")))
		} else if !c.Stage2Date.IsZero() && c.Stage2Date.Before(c.Stage1Date) {
			add(ptr(fieldErr("stage2_date", "registry.stage2_before_stage1", c.Stage2Date.Format(DateLayout), c.Stage1Date.Format(DateLayout))))
		}
		if issueOK && !c.Stage2Date.IsZero() && c.Stage2Date.After(c.IssueDate) && !c.IssueDate.IsZero() && c.FirstIssueDate.Equal(c.IssueDate) {
			add(ptr(fieldErr("stage2_date", "registry.stage2_after_first_issue", c.Stage2Date.Format(DateLayout), c.IssueDate.Format(DateLayout))))
		}
	}
	return c, warnings, errs
}

// validateScheme finds the scheme and derives the level from the score.
func (in *Input) validateScheme(schemes *Schemes, c *Certificate) *FieldError {
	scheme, ok := schemes.Find(strings.TrimSpace(in.Scheme))
	if !ok {
		names := make([]string, 0, len(schemes.All()))
		for _, s := range schemes.All() {
			names = append(names, s.Code+" ("+s.Standard+")")
		}
		if strings.TrimSpace(in.Scheme) == "" {
			return ptr(fieldErr("scheme", "registry.scheme_required_known", strings.Join(names, ", ")))
		}
		return ptr(fieldErr("scheme", "registry.unknown_scheme_known", in.Scheme, strings.Join(names, ", ")))
	}
	c.SchemeCode = scheme.Code
	var fe *FieldError
	c.LevelCode, c.Score, c.HasScore, fe = levelOf(scheme, in.Score, in.Level)
	return fe
}

// validateStatus reads a stated status: expired cannot be set.
func validateStatus(v string, c *Certificate) *FieldError {
	st, ok := ParseStatus(v)
	c.Status = st
	if ok {
		return nil
	}
	if s := strings.TrimSpace(v); s == "过期" || strings.EqualFold(s, "expired") || s == "失效" {
		return ptr(fieldErr("status", "registry.status_cannot_set_expired"))
	}
	return ptr(fieldErr("status", "registry.unknown_status_use_valid", v))
}

// parseNumberField reads an optional number from 0 to 100.
func parseNumberField(field string, name Key, s string) (v float64, has bool, fe *FieldError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, nil
	}
	v, err := strconv.ParseFloat(FoldWidth(s), 64)
	if err != nil || v < 0 || v > 100 || math.IsNaN(v) {
		return 0, false, ptr(fieldErr(field, "registry.input_not_a_percentage", name, s))
	}
	return v, true, nil
}

func ptr[T any](v T) *T { return &v }

func levelOf(s *Scheme, scoreText, levelText string) (level string, score float64, has bool, fe *FieldError) {
	scoreText = strings.TrimSpace(FoldWidth(scoreText))
	if scoreText != "" {
		v, err := strconv.ParseFloat(scoreText, 64)
		if err != nil {
			return "", 0, false, ptr(fieldErr("score", "registry.score_not_number", scoreText))
		}
		score, has = v, true
	}
	if s.Graded && !has {
		return "", 0, false, ptr(fieldErr("score", "registry.graded_score_required", s.Standard))
	}
	var lv Level
	if has {
		lv, fe = s.LevelFor(score)
		if fe != nil {
			return "", 0, false, fe
		}
	} else {
		lv = s.Levels[0]
	}
	if t := strings.TrimSpace(levelText); t != "" {
		stated, ok := findLevel(s, t)
		if !ok {
			return "", 0, false, ptr(fieldErr("level", "registry.level_unknown", t))
		}
		if stated.Code != lv.Code {
			return "", 0, false, ptr(fieldErr("level", "registry.level_does_not_match_score", t, fmtScore(score), s.Standard, fmtScore(score), Names{lv.NameZH, lv.NameEN}))
		}
	}
	return lv.Code, score, has, nil
}

func findLevel(s *Scheme, t string) (Level, bool) {
	for _, l := range s.Levels {
		if strings.EqualFold(t, l.Code) || t == l.NameZH || strings.EqualFold(t, l.NameEN) ||
			(l.Stars > 0 && (t == strconv.Itoa(l.Stars) || t == strconv.Itoa(l.Stars)+"星" || t == strings.TrimSuffix(l.NameZH, "级"))) {
			return l, true
		}
	}
	return Level{}, false
}

// cleanText trims a free-text field and checks it is valid UTF-8, has no
// control characters and is within max characters. name is the message
// key of the field's name, for the messages.
func cleanText(field string, name Key, s string, max int, required bool) (string, *FieldError) {
	if !utf8.ValidString(s) {
		return "", ptr(fieldErr(field, "registry.input_invalid_utf8", name))
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u3000", " "))
	if s == "" {
		if required {
			return "", ptr(fieldErr(field, "registry.input_required", name))
		}
		return "", nil
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", ptr(fieldErr(field, "registry.input_too_long", name, max, n))
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' || r == 0x7f {
			return "", ptr(fieldErr(field, "registry.input_control_character", name))
		}
	}
	return s, nil
}

var dateSeparators = strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-")

// ParseDate reads a date as users write it: 2024-03-05, 2024/3/5, 2024.3.5
// or 2024年3月5日, with full-width digits allowed.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(FoldWidth(s))
	if s == "" {
		return time.Time{}, fmt.Errorf("empty date")
	}
	t := dateSeparators.Replace(s)
	parts := strings.Split(t, "-")
	if len(parts) == 3 {
		y, e1 := strconv.Atoi(parts[0])
		m, e2 := strconv.Atoi(parts[1])
		d, e3 := strconv.Atoi(parts[2])
		if e1 == nil && e2 == nil && e3 == nil && len(parts[0]) == 4 && y >= 1990 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 {
			dt := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
			if dt.Day() == d {
				return dt, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q", s)
}

func parseDateField(field string, name Key, s string, required bool) (time.Time, *FieldError) {
	if strings.TrimSpace(s) == "" {
		if required {
			return time.Time{}, ptr(fieldErr(field, "registry.input_required", name))
		}
		return time.Time{}, nil
	}
	t, err := ParseDate(s)
	if err != nil {
		return time.Time{}, ptr(fieldErr(field, "registry.input_not_a_date", name, s))
	}
	return t, nil
}

// ParseSurveillanceList reads surveillance audits written as
// "2024-05-01 通过; 2025-05-03 fail 整改后关闭" (date, result, optional note;
// entries separated by ; or ；).
func ParseSurveillanceList(s string) ([]Surveillance, *FieldError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []Surveillance
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '；' }) {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, ptr(fieldErr("surveillance", "registry.surveillance_audit_must_written", part))
		}
		d, err := ParseDate(f[0])
		if err != nil {
			return nil, ptr(fieldErr("surveillance", "registry.surveillance_audit_date_invalid", f[0]))
		}
		res, ok := ParseAuditResult(f[1])
		if !ok {
			return nil, ptr(fieldErr("surveillance", "registry.audit_result_unknown", f[1]))
		}
		out = append(out, Surveillance{Date: d, Result: res, Note: strings.Join(f[2:], " ")})
	}
	return out, nil
}

// ParseAuditResult reads "pass"/"通过" or "fail"/"不通过".
func ParseAuditResult(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "pass", "通过", "合格":
		return "pass", true
	case "fail", "不通过", "不合格":
		return "fail", true
	}
	return "", false
}

// FormatSurveillanceList writes audits in the form ParseSurveillanceList reads.
func FormatSurveillanceList(list []Surveillance) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = s.Date.Format(DateLayout) + " " + s.Result
		if s.Note != "" {
			parts[i] += " " + s.Note
		}
	}
	return strings.Join(parts, "; ")
}

// Body is a certification body (认证机构).
type Body struct {
	ID       int64
	Approval string // CNCA approval number (批准号)
	NameZH   string
	NameEN   string
	Website  string
	Province string
	City     string
	Contact  string
	Disabled bool
	Created  time.Time
}

// Name returns the body's name in lang, falling back to Chinese.
func (b *Body) Name(lang string) string { return Names{b.NameZH, b.NameEN}.In(lang) }

// Event is one entry in the append-only history of the registry: a
// certificate issued, changed, moved to another status or audited. The public
// history of a certificate is its events.
type Event struct {
	ID            int64
	CertificateID int64
	Number        string
	BodyID        int64
	Kind          string
	EffectiveDate time.Time
	Reason        string
	Actor         string
	Source        string // cli, import, console, api, demo
	RemoteAddr    string
	At            time.Time
	Changes       []Change
}

// Change is one field changed by an event, with its old and new value as
// shown to people.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Actor is who makes a write, kept in every event it appends. BodyID, when
// non-zero, restricts the write to that body's certificates.
type Actor struct {
	Name       string
	BodyID     int64
	Source     string
	RemoteAddr string
}

type surveillanceJSON struct {
	Date   string `json:"date"`
	Result string `json:"result"`
	Note   string `json:"note,omitempty"`
}

// MarshalJSON writes the audit date as YYYY-MM-DD.
func (s Surveillance) MarshalJSON() ([]byte, error) {
	return json.Marshal(surveillanceJSON{Date: s.Date.Format(DateLayout), Result: s.Result, Note: s.Note})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Surveillance) UnmarshalJSON(b []byte) error {
	var v surveillanceJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	d, err := time.Parse(DateLayout, v.Date)
	if err != nil {
		return fmt.Errorf("surveillance date: %w", err)
	}
	*s = Surveillance{Date: d, Result: v.Result, Note: v.Note}
	return nil
}

// UnmarshalJSON reads a certificate as the publishing API takes it: an
// object whose keys are the names of the table's API fields, text as
// strings, numbers as numbers, the audits as an array of {date, result,
// note}. An unknown key is an error, so that a misspelt field is refused
// rather than silently dropped.
func (in *Input) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("json: a certificate must be an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		f, ok := FieldNamed(key)
		if !ok || !f.API {
			return fmt.Errorf("json: unknown field %q", key)
		}
		var v string
		switch f.Kind {
		case KindNumber:
			var n json.Number
			if err := json.Unmarshal(raw, &n); err != nil {
				return fmt.Errorf("json: %s: %w", key, err)
			}
			v = n.String()
		case KindList:
			if v, err = auditsFromJSON(raw, in.Line); err != nil {
				return err
			}
		default:
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("json: %s: %w", key, err)
			}
		}
		f.Set(in, v)
	}
	_, err := dec.Token() // the closing brace
	return err
}

// auditsFromJSON writes audits given as JSON objects in the form
// ParseSurveillanceList reads.
func auditsFromJSON(raw json.RawMessage, line int) (string, error) {
	var list []struct {
		Date   string `json:"date"`
		Result string `json:"result"`
		Note   string `json:"note,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		return "", fmt.Errorf("json: surveillance: %w", err)
	}
	parts := make([]string, 0, len(list))
	for _, a := range list {
		if strings.ContainsAny(a.Date+a.Result+a.Note, ";；") {
			return "", ValidationErrors{{Line: line, Field: "surveillance", Message: Message{Key: "registry.audit_has_semicolon"}}}
		}
		parts = append(parts, strings.TrimSpace(a.Date+" "+a.Result+" "+a.Note))
	}
	return strings.Join(parts, "; "), nil
}

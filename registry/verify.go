package registry

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Verdict is the one-word answer a reviewer gets about a certificate.
type Verdict string

// Verdicts. Only VerdictValid means a bid may rely on the certificate.
const (
	VerdictValid         Verdict = "valid"          // 有效
	VerdictSuspended     Verdict = "suspended"      // 暂停
	VerdictRevoked       Verdict = "revoked"        // 撤销
	VerdictWithdrawn     Verdict = "withdrawn"      // 注销
	VerdictExpired       Verdict = "expired"        // 已过期
	VerdictNotRegistered Verdict = "not-registered" // 未登记
	VerdictForged        Verdict = "forged"         // the QR code's signature is bad or from an unknown key
	VerdictMismatch      Verdict = "mismatch"       // the paper (or what was typed) does not match the record
)

var verdictText = map[Verdict][4]string{
	VerdictValid: {"有效", "VALID",
		"证书已登记且当前有效：可作为投标资格的证明。请核对下列各项与纸质证书一致。",
		"The certificate is registered and currently valid: a bid may rely on it. Check that every field below matches the paper."},
	VerdictSuspended: {"暂停", "SUSPENDED",
		"证书已被认证机构暂停：暂停期间不能作为有效证书使用，投标中不应认可。",
		"The certification body has suspended the certificate: while suspended it is not valid and a bid cannot rely on it."},
	VerdictRevoked: {"撤销", "REVOKED",
		"证书已被认证机构撤销：证书无效，投标中不应认可。",
		"The certification body has revoked the certificate: it is void and a bid cannot rely on it."},
	VerdictWithdrawn: {"注销", "WITHDRAWN",
		"证书已注销（应持证组织申请或经营终止）：证书无效，投标中不应认可。",
		"The certificate was withdrawn (at the holder's request or because the business ended): it is void and a bid cannot rely on it."},
	VerdictExpired: {"已过期", "EXPIRED",
		"证书已超过有效期：证书无效，投标中不应认可。",
		"The certificate's validity has ended: it is void and a bid cannot rely on it."},
	VerdictNotRegistered: {"未登记", "NOT REGISTERED",
		"本登记库中没有此证书：它可能是伪造的，或编号有误。请向出具证书的认证机构核实。",
		"This registry holds no such certificate: it may be forged, or the number may be wrong. Ask the certification body that issued it."},
	VerdictForged: {"二维码伪造或被篡改", "FORGED QR CODE",
		"二维码上的签名不是本登记库签发的，或证书内容已被改动：不要认可这份证书，并向招标方报告。",
		"The QR code's signature was not issued by this registry, or the certificate's content was altered: do not accept this certificate, and report it to the tendering party."},
	VerdictMismatch: {"与登记信息不符", "DOES NOT MATCH",
		"纸质证书上的内容与登记库中的记录不一致：以登记库为准，投标中不应按纸质证书认可。",
		"What the paper states does not match the registry's record: the registry prevails, and a bid cannot rely on the paper as printed."},
}

// Name returns the verdict's badge text in lang ("zh" or "en").
func (v Verdict) Name(lang string) string {
	t, ok := verdictText[v]
	if !ok {
		return string(v)
	}
	if lang == "en" {
		return t[1]
	}
	return t[0]
}

// Meaning says what the verdict means for a bid, in lang.
func (v Verdict) Meaning(lang string) string {
	t, ok := verdictText[v]
	if !ok {
		return ""
	}
	if lang == "en" {
		return t[3]
	}
	return t[2]
}

// OK reports whether a bid may rely on the certificate.
func (v Verdict) OK() bool { return v == VerdictValid }

// verdictOf is the verdict of a registered certificate's status.
func verdictOf(st Status) Verdict {
	switch st {
	case StatusValid:
		return VerdictValid
	case StatusSuspended:
		return VerdictSuspended
	case StatusRevoked:
		return VerdictRevoked
	case StatusWithdrawn:
		return VerdictWithdrawn
	}
	return VerdictExpired
}

// SigUnchecked is the signature outcome when no claims could be found to
// check it against (the QR code names a certificate that is not
// registered).
const SigUnchecked SigCheck = "unchecked"

// ClaimsRecord is Claims as JSON and as pages show them.
type ClaimsRecord struct {
	Number       string `json:"number"`
	HolderName   string `json:"holder_name"`
	CreditCode   string `json:"holder_credit_code"`
	Scheme       string `json:"scheme"`
	Level        string `json:"level"`
	IssueDate    string `json:"issue_date"`
	ExpiryDate   string `json:"expiry_date"`
	BodyApproval string `json:"body_approval"`
}

// Record returns the claims as a ClaimsRecord.
func (cl *Claims) Record() *ClaimsRecord {
	return &ClaimsRecord{
		Number: cl.Number, HolderName: cl.HolderName, CreditCode: cl.CreditCode, Scheme: cl.Scheme, Level: cl.Level,
		IssueDate: dateString(cl.IssueDate), ExpiryDate: dateString(cl.ExpiryDate), BodyApproval: cl.BodyApproval,
	}
}

// Verification is what the registry says about one certificate at one
// moment: what a verdict page shows, the API returns and a receipt keeps.
type Verification struct {
	Number    string    `json:"number"` // as asked, upper case
	Verdict   Verdict   `json:"verdict"`
	Status    Status    `json:"status,omitempty"` // the effective status, when registered
	Signature SigCheck  `json:"signature"`
	KeyID     string    `json:"key_id,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
	// Printed are the claims the QR code's signature covers, when it is
	// good: what the paper stated when it was printed.
	Printed *ClaimsRecord `json:"printed,omitempty"`
	// Live are the claims of the registry's record now; nil when not
	// registered, and for a manual check that did not match (so that a
	// mismatch is never a hint of the right answer).
	Live *ClaimsRecord `json:"live,omitempty"`
	// Differences are the claim fields (number, holder_name, …) in which
	// the printed claims differ from the live record, or, for a manual
	// check, the fields typed that do not match.
	Differences []string `json:"differences,omitempty"`
	// Note explains the verdict further, in both languages, when there is
	// more to say (a malformed number, an unknown key).
	NoteZH string `json:"note_zh,omitempty"`
	NoteEN string `json:"note_en,omitempty"`

	// Certificate is the live record, for pages; never stored or sent.
	Certificate *Certificate `json:"-"`
}

// Note returns the note in lang.
func (v *Verification) Note(lang string) string {
	if lang == "en" {
		return v.NoteEN
	}
	return v.NoteZH
}

// SetCertificate fills the verification from a registered certificate:
// its effective status on day now, the verdict that status gives, and the
// claims it prints.
func (v *Verification) SetCertificate(c *Certificate, now time.Time) {
	v.Certificate = c
	v.Status = c.EffectiveStatus(now)
	v.Verdict = verdictOf(v.Status)
	cl := ClaimsOf(c)
	v.Live = cl.Record()
}

// PastClaims returns the distinct claims a certificate has had, newest
// first, from the snapshots its events keep: what a genuine but outdated
// paper may still state.
func (s *Store) PastClaims(ctx context.Context, certID int64) ([]Claims, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT snapshot FROM events WHERE certificate_id = ? AND snapshot <> '' ORDER BY id DESC`, certID)
	if err != nil {
		return nil, fmt.Errorf("past claims: %w", err)
	}
	defer rows.Close()
	var out []Claims
	seen := map[string]bool{}
	for rows.Next() {
		var snap string
		if err := rows.Scan(&snap); err != nil {
			return nil, err
		}
		var r Record
		if err := json.Unmarshal([]byte(snap), &r); err != nil {
			return nil, fmt.Errorf("past claims: %w", err)
		}
		cl := ClaimsOfRecord(&r)
		if m := string(cl.Message()); !seen[m] {
			seen[m] = true
			out = append(out, cl)
		}
	}
	return out, rows.Err()
}

// VerifyManual checks a certificate number together with the holder's name
// or unified social credit code, as a reviewer types them from the paper.
// Both must match the record; a mismatch is reported as such, without the
// record's details, so that the check cannot be used to learn the right
// name.
func (s *Store) VerifyManual(ctx context.Context, number, holder string) (*Verification, error) {
	now := s.Now().UTC()
	n, fe := NormalizeNumber(number)
	if fe != nil {
		return nil, &Error{Code: EINVALID, Field: "number", ZH: fe.ZH, EN: fe.EN}
	}
	holder = strings.TrimSpace(FoldWidth(holder))
	if holder == "" {
		return nil, Errorf(EINVALID, "holder", "请填写证书上的获证组织名称或统一社会信用代码", "enter the holder's name or unified social credit code as printed on the certificate")
	}
	if len(holder) > 4*maxHolderName {
		return nil, Errorf(EINVALID, "holder", "获证组织名称过长", "the holder name is too long")
	}
	v := &Verification{Number: NumberKey(n), Signature: SigNone, CheckedAt: now}
	c, err := s.Certificate(ctx, n)
	if ErrorCode(err) == ENOTFOUND {
		v.Verdict = VerdictNotRegistered
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	field, ok := holderMatches(c, holder)
	if !ok {
		v.Verdict = VerdictMismatch
		v.Differences = []string{field}
		if field == "holder_credit_code" {
			v.NoteZH, v.NoteEN = "该编号的证书不属于这个统一社会信用代码。", "The certificate with this number does not belong to this unified social credit code."
		} else {
			v.NoteZH, v.NoteEN = "该编号的证书不属于这个名称的组织。", "The certificate with this number does not belong to an organisation of this name."
		}
		return v, nil
	}
	v.SetCertificate(c, now)
	return v, nil
}

// holderMatches compares what was typed with the record: a credit code
// (18 characters of its alphabet) with the credit code, anything else with
// the holder's name (spaces and character widths ignored).
func holderMatches(c *Certificate, holder string) (field string, ok bool) {
	if code, _, fe := NormalizeCreditCode(holder); fe == nil {
		return "holder_credit_code", code == c.HolderCreditCode
	}
	// Full-width and half-width forms (（ and (, Ａ and A) and spaces are
	// how the same name differs between a paper and the register.
	squash := func(s string) string { return strings.Join(strings.Fields(FoldWidth(s)), "") }
	return "holder_name", squash(holder) == squash(c.HolderName)
}

// MaxBatch is the most lines one batch check takes.
const MaxBatch = 1000

// BatchLine is one line of a batch check: a number, optionally with the
// holder's credit code that must match.
type BatchLine struct {
	Line       int    `json:"line"`
	Number     string `json:"number"`
	CreditCode string `json:"holder_credit_code,omitempty"`
}

// BatchResult is the verification of one batch line.
type BatchResult struct {
	Line       int    `json:"line"`
	Input      string `json:"input"` // the number as given
	CreditCode string `json:"input_credit_code,omitempty"`
	Verification
}

// VerifyBatch checks up to MaxBatch lines with one query. A malformed
// number is answered as not registered, with a note saying why.
func (s *Store) VerifyBatch(ctx context.Context, lines []BatchLine) ([]BatchResult, error) {
	if len(lines) > MaxBatch {
		return nil, Errorf(EINVALID, "lines", "一次最多核验 %d 行，收到 %d 行：请分批提交", "at most %d lines can be checked at once, got %d: split the list", MaxBatch, len(lines))
	}
	now := s.Now().UTC()
	out := make([]BatchResult, len(lines))
	keys := make([]any, 0, len(lines))
	for i, l := range lines {
		out[i].Line, out[i].Input, out[i].CreditCode = l.Line, strings.TrimSpace(l.Number), strings.TrimSpace(l.CreditCode)
		out[i].CheckedAt = now
		out[i].Signature = SigNone
		n, fe := NormalizeNumber(l.Number)
		if fe != nil {
			out[i].Number = strings.TrimSpace(l.Number)
			out[i].Verdict = VerdictNotRegistered
			out[i].NoteZH, out[i].NoteEN = "编号格式无效："+fe.ZH, "malformed number: "+fe.EN
			continue
		}
		out[i].Verification.Number = NumberKey(n)
		keys = append(keys, NumberKey(n))
	}
	found := map[string]*Certificate{}
	if len(keys) > 0 {
		q := `SELECT ` + certColumns + certFrom + ` WHERE c.number_key IN (?` + strings.Repeat(",?", len(keys)-1) + `)`
		cs, err := s.queryCertificates(ctx, q, keys...)
		if err != nil {
			return nil, fmt.Errorf("batch check: %w", err)
		}
		for _, c := range cs {
			found[NumberKey(c.Number)] = c
		}
	}
	for i := range out {
		r := &out[i]
		if r.Verdict != "" {
			continue
		}
		c, ok := found[r.Verification.Number]
		if !ok {
			r.Verdict = VerdictNotRegistered
			continue
		}
		if cc := strings.TrimSpace(r.CreditCode); cc != "" {
			if field, ok := holderMatches(c, cc); !ok {
				r.Verdict = VerdictMismatch
				r.Differences = []string{field}
				r.NoteZH, r.NoteEN = "该编号的证书不属于这个统一社会信用代码。", "The certificate with this number does not belong to this unified social credit code."
				continue
			}
		}
		r.SetCertificate(c, now)
	}
	return out, nil
}

// ParseBatch reads a batch check as pasted or uploaded as CSV: one
// certificate per line, the number first, optionally followed by the
// holder's credit code, separated by a comma, tab, semicolon or spaces.
// Blank lines and a header line are skipped.
func ParseBatch(text string) ([]BatchLine, error) {
	var out []BatchLine
	text = strings.TrimPrefix(text, "\ufeff")
	for i, raw := range strings.Split(text, "\n") {
		f := strings.FieldsFunc(FoldWidth(raw), func(r rune) bool {
			return r == ',' || r == '\t' || r == ';' || r == ' ' || r == '\r' || r == '"' || r == '，'
		})
		if len(f) == 0 {
			continue
		}
		if len(out) == 0 && isHeader(f[0]) {
			continue
		}
		if len(out) == MaxBatch {
			return nil, Errorf(EINVALID, "lines", "一次最多核验 %d 行：请分批提交", "at most %d lines can be checked at once: split the list", MaxBatch)
		}
		l := BatchLine{Line: i + 1, Number: f[0]}
		if len(f) > 1 {
			l.CreditCode = f[1]
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, Errorf(EINVALID, "lines", "没有收到证书编号：每行填写一个编号，可在其后加统一社会信用代码", "no certificate numbers were given: one number a line, optionally followed by the holder's credit code")
	}
	return out, nil
}

func isHeader(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "number" || s == "证书编号" || s == "编号" || s == "certificate number" || s == "certificate_number"
}

// CountVerification counts one more check of a certificate and returns the
// new count and when it was last checked before this one (zero if never).
func (s *Store) CountVerification(ctx context.Context, certID int64) (count int64, last time.Time, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var prev sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT last_at FROM verify_counts WHERE certificate_id = ?`, certID).Scan(&prev); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if prev.Valid {
			last = parseTime(prev.String)
		}
		return tx.QueryRowContext(ctx, `INSERT INTO verify_counts(certificate_id, count, first_at, last_at) VALUES (?, 1, ?, ?)
			ON CONFLICT(certificate_id) DO UPDATE SET count = count + 1, last_at = excluded.last_at
			RETURNING count`, certID, fmtTime(now), fmtTime(now)).Scan(&count)
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count verification: %w", err)
	}
	return count, last, nil
}

// CountVerifications counts one check of each certificate in one
// transaction (a batch check).
func (s *Store) CountVerifications(ctx context.Context, certIDs []int64) error {
	if len(certIDs) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO verify_counts(certificate_id, count, first_at, last_at) VALUES (?, 1, ?, ?)
			ON CONFLICT(certificate_id) DO UPDATE SET count = count + 1, last_at = excluded.last_at`)
		if err != nil {
			return err
		}
		defer st.Close()
		t := fmtTime(now)
		for _, id := range certIDs {
			if _, err := st.ExecContext(ctx, id, t, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("count verifications: %w", err)
	}
	return nil
}

// VerificationCount returns how often a certificate was checked and when
// last.
func (s *Store) VerificationCount(ctx context.Context, certID int64) (count int64, last time.Time, err error) {
	var at string
	err = s.db.QueryRowContext(ctx, `SELECT count, last_at FROM verify_counts WHERE certificate_id = ?`, certID).Scan(&count, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("verification count: %w", err)
	}
	return count, parseTime(at), nil
}

// Receipt is the stored record of one verification.
type Receipt struct {
	ID           string       `json:"id"`
	CreatedAt    time.Time    `json:"created_at"`
	Verification Verification `json:"verification"`
}

// receiptIDLen is the length of a receipt id: 80 random bits in base32.
const receiptIDLen = 16

// receiptIDs writes receipt ids: RFC 4648 base32 without padding, upper
// case letters and digits, which read aloud and fit a QR code's
// alphanumeric mode.
var receiptIDs = base32.StdEncoding.WithPadding(base32.NoPadding)

// SaveReceipt stores v as a new receipt. Receipts are never changed or
// deleted (triggers refuse it).
func (s *Store) SaveReceipt(ctx context.Context, v *Verification) (*Receipt, error) {
	raw := make([]byte, 10)
	rand.Read(raw)
	r := &Receipt{ID: receiptIDs.EncodeToString(raw), Verification: *v}
	r.Verification.Certificate = nil
	var certID any
	if v.Certificate != nil {
		certID = v.Certificate.ID
	}
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		r.CreatedAt = now
		body, err := json.Marshal(r.Verification)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO verify_receipts(id, created_at, number, certificate_id, verdict, signature, body) VALUES (?,?,?,?,?,?,?)`,
			r.ID, fmtTime(now), v.Number, certID, string(v.Verdict), string(v.Signature), string(body))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("save receipt: %w", err)
	}
	return r, nil
}

// Receipt returns the receipt with id (case-insensitive).
func (s *Store) Receipt(ctx context.Context, id string) (*Receipt, error) {
	id = strings.ToUpper(strings.TrimSpace(id))
	notFound := Errorf(ENOTFOUND, "id", "没有编号为 %s 的核验回执", "there is no verification receipt %s", id)
	if len(id) != receiptIDLen {
		return nil, notFound
	}
	if _, err := receiptIDs.DecodeString(id); err != nil {
		return nil, notFound
	}
	var created, body string
	err := s.db.QueryRowContext(ctx, `SELECT created_at, body FROM verify_receipts WHERE id = ?`, id).Scan(&created, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("receipt %s: %w", id, err)
	}
	r := &Receipt{ID: id, CreatedAt: parseTime(created)}
	if err := json.Unmarshal([]byte(body), &r.Verification); err != nil {
		return nil, fmt.Errorf("receipt %s: %w", id, err)
	}
	return r, nil
}

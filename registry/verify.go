package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
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
	// VerdictIntegrity: the registry's own row differs from the record its
	// public log holds (Store.CheckRow), so nothing it says about the
	// certificate can be relied on until the operator has looked.
	VerdictIntegrity Verdict = "integrity-failed"
)

// verdictKeys are the message keys of each verdict's badge text and of
// what it means for a bid.
var verdictKeys = map[Verdict][2]string{
	VerdictValid:         {"verdict.valid", "verdict.valid.meaning"},
	VerdictSuspended:     {"verdict.suspended", "verdict.suspended.meaning"},
	VerdictRevoked:       {"verdict.revoked", "verdict.revoked.meaning"},
	VerdictWithdrawn:     {"verdict.withdrawn", "verdict.withdrawn.meaning"},
	VerdictExpired:       {"verdict.expired", "verdict.expired.meaning"},
	VerdictNotRegistered: {"verdict.not_registered", "verdict.not_registered.meaning"},
	VerdictForged:        {"verdict.forged", "verdict.forged.meaning"},
	VerdictMismatch:      {"verdict.mismatch", "verdict.mismatch.meaning"},
	VerdictIntegrity:     {"verdict.integrity_failed", "verdict.integrity_failed.meaning"},
}

// MessageKey is the message key of the verdict's badge text.
func (v Verdict) MessageKey() string { return verdictKeys[v][0] }

// Meaning is the message that says what the verdict means for a bid.
func (v Verdict) Meaning() Key { return Key(verdictKeys[v][1]) }

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

// FailIntegrity turns a verification whose record failed the integrity
// check into VerdictIntegrity: the status and the claims the row gives are
// dropped, since the row is what cannot be trusted.
func (v *Verification) FailIntegrity() {
	v.Verdict = VerdictIntegrity
	v.Status = ""
	v.Live = nil
	v.Differences = nil
	v.Note = &Message{Key: "registry.record_failed_integrity"}
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
	// Note explains the verdict further when there is more to say (a
	// malformed number, an unknown key).
	Note *Message `json:"note,omitempty"`

	// Certificate is the live record, for pages; never stored or sent.
	Certificate *Certificate `json:"-"`
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
// name. With no holder, the number alone is checked and the verification
// says the holder was not (the certificate's page is public: nothing is
// learnt that the registry does not publish).
func (s *Store) VerifyManual(ctx context.Context, number, holder string) (*Verification, error) {
	now := s.Now().UTC()
	n, fe := NormalizeNumber(number)
	if fe != nil {
		return nil, &Error{Code: EINVALID, Field: "number", Message: fe.Message}
	}
	holder = strings.TrimSpace(FoldWidth(holder))
	if len(holder) > 4*maxHolderName {
		return nil, Errorf(EINVALID, "holder", "registry.holder_name_too_long")
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
	if holder == "" {
		v.SetCertificate(c, now)
		v.Note = &Message{Key: "registry.holder_not_checked"}
		return v, nil
	}
	field, ok := holderMatches(c, holder)
	if !ok {
		v.Verdict = VerdictMismatch
		v.Differences = []string{field}
		if field == "holder_credit_code" {
			v.Note = &Message{Key: "registry.not_holders_code"}
		} else {
			v.Note = &Message{Key: "registry.not_holders_name"}
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
		return nil, Errorf(EINVALID, "lines", "registry.at_most_lines_can", MaxBatch, len(lines))
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
			out[i].Note = &Message{Key: "registry.malformed_number", Args: []any{fe.Message}}
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
				r.Note = &Message{Key: "registry.not_holders_code"}
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
			return nil, Errorf(EINVALID, "lines", "file.at_most_lines_can", MaxBatch)
		}
		l := BatchLine{Line: i + 1, Number: f[0]}
		if len(f) > 1 {
			l.CreditCode = f[1]
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, Errorf(EINVALID, "lines", "registry.no_certificate_numbers_were")
	}
	return out, nil
}

func isHeader(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "number" || s == "证书编号" || s == "编号" || s == "certificate number" || s == "certificate_number"
}

// CountVerification counts a check of a certificate by client (its
// address, as the site knows it) and returns the count with this check and
// the time of the check before it. A client is counted once per
// certificate and day (UTC): its later checks that day leave the count
// as it is. The caller leaves out checks that must not count at all
// (crawlers, prefetches) by not calling it.
func (s *Store) CountVerification(ctx context.Context, certID int64, client string) (count int64, last time.Time, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var prev sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT last_at FROM verify_counts WHERE certificate_id = ?`, certID).Scan(&prev); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if prev.Valid {
			last = parseTime(prev.String)
		}
		if err := forgetEarlierDays(ctx, tx, now); err != nil {
			return err
		}
		fresh, err := firstSeenToday(ctx, tx, now, certID, client)
		if err != nil {
			return err
		}
		if !fresh {
			return tx.QueryRowContext(ctx, `SELECT count FROM verify_counts WHERE certificate_id = ?`, certID).Scan(&count)
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

// CountVerifications counts a check of each certificate by client in one
// transaction (a batch check), each once per client and day as
// CountVerification does.
func (s *Store) CountVerifications(ctx context.Context, certIDs []int64, client string) error {
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
		if err := forgetEarlierDays(ctx, tx, now); err != nil {
			return err
		}
		t := fmtTime(now)
		for _, id := range certIDs {
			fresh, err := firstSeenToday(ctx, tx, now, id, client)
			if err != nil {
				return err
			}
			if !fresh {
				continue
			}
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

// forgetEarlierDays deletes who was counted on earlier days, so that no
// trace of a client outlives the day it was counted in.
func forgetEarlierDays(ctx context.Context, tx *sql.Tx, now time.Time) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM verify_seen WHERE day < ?`, now.UTC().Format(DateLayout))
	return err
}

// firstSeenToday records that client checked the certificate today and
// reports whether that is new.
func firstSeenToday(ctx context.Context, tx *sql.Tx, now time.Time, certID int64, client string) (bool, error) {
	day := now.UTC().Format(DateLayout)
	sum := sha256.Sum256([]byte(day + "\x00" + client))
	res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO verify_seen(day, certificate_id, client) VALUES (?, ?, ?)`, day, certID, hex.EncodeToString(sum[:16]))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
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
	notFound := Errorf(ENOTFOUND, "id", "registry.there_no_verification_receipt", id)
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

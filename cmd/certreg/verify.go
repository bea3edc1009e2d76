package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/certreg/certreg/data"
	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
)

func init() {
	register("verify", "check a certificate QR code (URL or PNG/JPEG) offline with the published keys", verify)
}

// The exit status of `certreg verify`, for scripts (docs/verification.md).
// Only exitGenuine means a bid may rely on the QR code.
const (
	// exitGenuine: the signature was checked over the claims and is good,
	// and the QR code names the registry's domain (and, with --db, the
	// registry's verdict is VALID).
	exitGenuine = 0
	// exitForged: forged or altered (bad signature, unknown key, not a
	// certificate QR code), a foreign domain, a printed expiry passed, or,
	// with --db, any verdict but VALID.
	exitForged = 1
	// exitUsage: the command was given wrongly (flags, arguments, files
	// that cannot be read or are not what they should be).
	exitUsage = 2
	// exitNotChecked: the signature or the domain could not be checked:
	// no claims given (--record or printed fields), or no --base-url.
	exitNotChecked = 3
)

// verifyHelp is the exit-code table `certreg verify --help` prints.
const verifyHelp = `
Exit status:
  0  GENUINE: the signature was checked over the claims and is good, and the
     QR code names the registry's domain (--base-url); with --db, the
     registry's verdict is also VALID
  1  FORGED, ALTERED OR NOT VALID: bad signature, unknown key, not a
     certificate QR code, another domain, the printed expiry has passed, or
     (with --db) a verdict other than VALID
  2  usage: wrong flags or arguments, a file that cannot be read, a --record
     that is not a certificate record of this QR code's number
  3  NOT CHECKED: no claims to check the signature against (give --record or
     the printed fields), or no --base-url to check the domain against
`

// exitError carries the exit status of a verification that ran to the end
// and said why on stdout.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// verifyResult is what `certreg verify` found, printed as text or, with
// --json, as this JSON.
type verifyResult struct {
	QR          string                 `json:"qr"`
	Domain      string                 `json:"domain,omitempty"`
	DomainCheck string                 `json:"domain_check"` // registry, foreign, not-checked
	Number      string                 `json:"number,omitempty"`
	KeyID       string                 `json:"key_id,omitempty"`
	Key         string                 `json:"key,omitempty"` // current, retired, unknown
	Signature   string                 `json:"signature"`     // good, bad, unknown-key, not-checked
	Verdict     string                 `json:"verdict"`       // genuine, forged, not-a-qr-code, expired, not-checked, or the registry's with --db
	Registry    string                 `json:"registry_verdict,omitempty"`
	Printed     *registry.ClaimsRecord `json:"printed,omitempty"`
	Live        *registry.ClaimsRecord `json:"registry_record,omitempty"`
	Differences []string               `json:"differences,omitempty"`
	Note        string                 `json:"note,omitempty"`
	ExitCode    int                    `json:"exit_code"`
}

// verify runs `certreg verify URL-or-IMAGE`: it reads the QR code, checks
// which domain it names and, given the claims printed on the paper (or a
// certificate record), checks the registry's signature over them with the
// public key set alone. With --db it also gives the registry's verdict
// from a local copy of the database. Its exit status says what it found
// (verifyHelp).
func verify(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "verify", "verify [--key-set FILE | --keys DIR] [--base-url URL] [--record FILE | printed fields] [--db FILE] [--json] URL-or-IMAGE")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(e.stdout, verifyHelp)
	}
	keySet := fs.String("key-set", envOr(e, "CERTREG_KEY_SET", ""), "published public key set `file` (/.well-known/certreg-keys.json; env CERTREG_KEY_SET)")
	keysDirFlag := keysFlag(fs, e)
	dbPath := fs.String("db", "", "optional registry database `file`: also give the registry's verdict from it")
	base := fs.String("base-url", envOr(e, "CERTREG_BASE_URL", ""), "the registry's canonical `URL`: a QR code naming another domain is reported as likely forged; without it the domain is not checked and the exit status is at best 3 (env CERTREG_BASE_URL)")
	record := fs.String("record", "", "certificate record `file` whose claims to check: the JSON of GET /api/v1/certificates/{number} (with or without its {\"certificate\": …} wrapper), the same file of a static export, or the open data's NDJSON (the line of the QR code's number)")
	asJSON := fs.Bool("json", false, "print the result as one JSON object (the exit status is the same)")
	var in registry.Input
	fs.StringVar(&in.HolderName, "holder-name", "", "holder name as printed")
	fs.StringVar(&in.HolderCreditCode, "credit-code", "", "holder's unified social credit code as printed")
	fs.StringVar(&in.Scheme, "scheme", "", "scheme as printed (code or standard, e.g. GB/T 27922-2011)")
	fs.StringVar(&in.Level, "level", "", "level as printed (e.g. 五星级 or five-star)")
	fs.StringVar(&in.IssueDate, "issue-date", "", "issue date as printed")
	fs.StringVar(&in.ExpiryDate, "expiry-date", "", "expiry date as printed")
	fs.StringVar(&in.BodyApproval, "body", "", "certification body approval number as printed (CNCA-R-…)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()} // exit 2, as the table says
	}
	if fs.NArg() != 1 {
		return usageError{"verify takes one argument: the QR code's URL, or a PNG/JPEG image of it"}
	}
	var text bytes.Buffer
	res, err := verifyQR(ctx, &text, fs.Arg(0), verifyOptions{keySet: *keySet, keysDir: *keysDirFlag, db: *dbPath, base: *base, record: *record, in: in})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		e.stdout.Write(text.Bytes())
	}
	switch res.ExitCode {
	case exitGenuine:
		return nil
	case exitNotChecked:
		return exitError{exitNotChecked, "verify: NOT CHECKED (see above): exit status 3"}
	}
	return exitError{exitForged, "verify: the QR code must not be trusted (see above)"}
}

// verifyOptions are the flags of `certreg verify`.
type verifyOptions struct {
	keySet, keysDir, db, base, record string
	in                                registry.Input
}

// verifyQR checks the QR code arg, writing its report to w as it goes. An
// error is a usage error or a failure to check at all; what was found is
// in the result.
func verifyQR(ctx context.Context, w io.Writer, arg string, o verifyOptions) (*verifyResult, error) {
	res := &verifyResult{DomainCheck: "not-checked", Signature: "not-checked"}
	text, err := qrText(arg)
	if err != nil {
		return nil, err
	}
	res.QR = text
	fmt.Fprintf(w, "QR code:        %s\n", text)
	p, err := signing.ParseQRURL(text)
	if err != nil {
		if p != nil && o.base != "" && !p.Names(o.base) {
			res.Domain, res.DomainCheck = p.Origin, "foreign"
			fmt.Fprintf(w, "WARNING:        the QR code points to %s, not to the registry (%s): likely forged\n", p.Origin, o.base)
		}
		res.Verdict, res.Note, res.ExitCode = "not-a-qr-code", errText(err), exitForged
		fmt.Fprintf(w, "Result:         NOT A CERTIFICATE QR CODE: %s\n", errText(err))
		return res, nil
	}
	res.Domain = p.Origin
	switch {
	case o.base == "":
		fmt.Fprintf(w, "Domain:         %s (NOT CHECKED: give --base-url to check it is the registry's)\n", p.Origin)
	case p.Names(o.base):
		res.DomainCheck = "registry"
		fmt.Fprintf(w, "Domain:         %s (the registry's canonical domain)\n", p.Origin)
	default:
		res.DomainCheck = "foreign"
		fmt.Fprintf(w, "Domain:         %s\nWARNING:        this is NOT the registry's domain (%s): the QR code is likely forged, whatever it shows\n", p.Origin, o.base)
	}
	qs := p.Signature
	res.Number, res.KeyID = qs.Number, qs.KeyID
	fmt.Fprintf(w, "Certificate:    %s\n", qs.Number)

	kr, err := verifyKeys(o.keySet, o.keysDir, o.db)
	if err != nil {
		return nil, err
	}
	k, known := kr.Key(qs.KeyID)
	switch {
	case !known:
		res.Key, res.Signature, res.Verdict, res.ExitCode = "unknown", "unknown-key", "forged", exitForged
		fmt.Fprintf(w, "Signing key:    %s — UNKNOWN: not a key this registry published; the QR code is forged\n", qs.KeyID)
		return res, nil
	case k.Retired.IsZero():
		res.Key = "current"
		fmt.Fprintf(w, "Signing key:    %s (current)\n", k.ID)
	default:
		res.Key = "retired"
		fmt.Fprintf(w, "Signing key:    %s (retired %s; still verifies what it signed)\n", k.ID, k.Retired.Format("2006-01-02"))
	}
	// finish sets the exit status from the signature's outcome and the
	// domain's: genuine only when both were checked and good.
	finish := func(good bool) *verifyResult {
		switch {
		case !good || res.DomainCheck == "foreign":
			res.ExitCode = exitForged
		case res.DomainCheck == "not-checked":
			res.ExitCode = exitNotChecked
			fmt.Fprintln(w, "Exit status 3:  the domain was not checked (no --base-url): the QR code is not shown to be the registry's.")
		default:
			res.ExitCode = exitGenuine
		}
		return res
	}

	if o.db != "" {
		good, err := verifyWithDB(ctx, w, o.db, kr, qs, res)
		if err != nil {
			return nil, err
		}
		return finish(good), nil
	}

	b, err := data.FS.ReadFile("schemes.json")
	if err != nil {
		return nil, err
	}
	schemes, err := registry.ParseSchemes(b)
	if err != nil {
		return nil, err
	}
	in := o.in
	if o.record != "" {
		r, err := readRecord(o.record, qs.Number)
		if err != nil {
			return nil, err
		}
		cl := registry.ClaimsOfRecord(r)
		in = registry.Input{Number: r.Number, HolderName: r.HolderName, HolderCreditCode: r.HolderCreditCode, Scheme: r.Scheme,
			Level: r.Level, IssueDate: cl.IssueDate.Format(registry.DateLayout), ExpiryDate: cl.ExpiryDate.Format(registry.DateLayout), BodyApproval: r.BodyApproval}
	}
	if in.HolderName == "" && in.HolderCreditCode == "" && in.Scheme == "" {
		fmt.Fprintln(w, "Signature:      NOT CHECKED: the QR code carries the signature, the paper carries the claims.")
		fmt.Fprintln(w, "                Give the printed fields (--holder-name --credit-code --scheme --level --issue-date --expiry-date --body)")
		fmt.Fprintln(w, "                or a certificate record (--record FILE) to check them offline.")
		res.Verdict, res.ExitCode = "not-checked", exitNotChecked
		if res.DomainCheck == "foreign" {
			res.Verdict, res.ExitCode = "forged", exitForged
		}
		return res, nil
	}
	in.Number = qs.Number
	cl, err := registry.ClaimsOfInput(in, schemes)
	if err != nil {
		return nil, usageError{fmt.Sprintf("verify: the printed claims: %s", errText(err))}
	}
	res.Printed = cl.Record()
	printClaims(w, "Printed claims:", res.Printed, schemes)
	if kr.VerifyClaims(qs, &cl) != registry.SigGood {
		res.Signature, res.Verdict = "bad", "forged"
		fmt.Fprintln(w, "Signature:      BAD: the registry never signed these claims for this certificate.")
		fmt.Fprintln(w, "Offline verdict: FORGED OR ALTERED, or the claims were typed differently from the paper, or the")
		fmt.Fprintln(w, "                certificate changed since printing (check online for the current record).")
		return finish(false), nil
	}
	res.Signature, res.Verdict = "good", "genuine"
	fmt.Fprintln(w, "Signature:      GOOD: the registry signed exactly these claims.")
	fmt.Fprintln(w, "Offline verdict: GENUINE AS PRINTED. The current status (valid, suspended, revoked, expired)")
	fmt.Fprintf(w, "                cannot be known offline: open the QR code's URL on the registry to see it.\n")
	if !cl.ExpiryDate.IsZero() && registry.Today(timeNow()).After(cl.ExpiryDate) {
		res.Verdict = "expired"
		fmt.Fprintf(w, "                Note: the printed expiry date %s has passed: the certificate is EXPIRED.\n", cl.ExpiryDate.Format(registry.DateLayout))
		return finish(false), nil
	}
	return finish(true), nil
}

// maxRecord bounds one JSON record (an API answer with its history) and
// so the memory reading a --record file takes, whatever its size.
const maxRecord = 1 << 20

// readRecord reads the record of certificate number from a file in any of
// the shapes the registry publishes: an API answer ({"certificate": …,
// "as_of": …}, pretty-printed or not), its certificate object alone, the
// same file of a static export, or the open data's NDJSON, one record a
// line (read line by line, so the whole open data may be given). Any other
// file is a usage error.
func readRecord(path, number string) (*registry.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{fmt.Sprintf("verify: --record: %v", err)}
	}
	defer f.Close()
	notRecord := func(why string) error {
		return usageError{fmt.Sprintf("verify: --record %s: not a certificate record as the registry publishes it (%s)", path, why)}
	}
	want := registry.NumberKey(number)
	var found []string
	var buf []byte
	seen := 0
	br := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, usageError{fmt.Sprintf("verify: --record: %v", err)}
		}
		buf = append(buf, line...)
		if len(buf) > maxRecord {
			return nil, notRecord(fmt.Sprintf("a value over %d bytes", maxRecord))
		}
		v := bytes.TrimSpace(buf)
		// A value is complete when it parses; a pretty-printed one is
		// tried only at a line that closes an object.
		complete := len(v) > 0 && bytes.HasSuffix(v, []byte("}")) && json.Valid(v)
		if complete {
			seen++
			r, ok := recordOf(v)
			if !ok {
				return nil, notRecord(fmt.Sprintf("value %d has no certificate number", seen))
			}
			if registry.NumberKey(r.Number) == want {
				return r, nil
			}
			if len(found) < 3 {
				found = append(found, r.Number)
			}
			buf = buf[:0]
		}
		if err == io.EOF {
			if len(bytes.TrimSpace(buf)) > 0 {
				return nil, notRecord("not JSON")
			}
			break
		}
	}
	if seen == 0 {
		return nil, notRecord("empty")
	}
	return nil, usageError{fmt.Sprintf("verify: --record %s holds no record of certificate %s (it holds %s…): give the record of the QR code's certificate", path, number, strings.Join(found, ", "))}
}

// recordOf reads one JSON value as a record, unwrapping an API answer.
func recordOf(v []byte) (*registry.Record, bool) {
	var wrap struct {
		Certificate json.RawMessage `json:"certificate"`
	}
	if json.Unmarshal(v, &wrap) == nil && len(wrap.Certificate) > 0 && string(wrap.Certificate) != "null" {
		v = wrap.Certificate
	}
	var r registry.Record
	if err := json.Unmarshal(v, &r); err != nil || r.Number == "" {
		return nil, false
	}
	return &r, true
}

// verifyWithDB gives the registry's own verdict from a database file, its
// row checked against its log first; good is true when it is VALID.
func verifyWithDB(ctx context.Context, w io.Writer, path string, kr *signing.KeyRing, qs *signing.QRSignature, res *verifyResult) (good bool, err error) {
	if _, err := os.Stat(path); err != nil {
		return false, usageError{fmt.Sprintf("verify: %v", err)}
	}
	store, err := registry.Open(path)
	if err != nil {
		return false, err
	}
	defer store.Close()
	v, err := kr.VerifyQR(ctx, store, qs)
	if err != nil {
		return false, err
	}
	if v.Certificate != nil {
		m, err := store.CheckRow(ctx, v.Certificate)
		if err != nil {
			return false, err
		}
		if m != nil {
			v.FailIntegrity()
		}
	}
	res.Signature, res.Registry, res.Verdict = string(v.Signature), string(v.Verdict), string(v.Verdict)
	res.Printed, res.Live, res.Differences = v.Printed, v.Live, v.Differences
	if v.Printed != nil {
		printClaims(w, "Printed claims:", v.Printed, store.Schemes())
	}
	if v.Live != nil {
		printClaims(w, "Registry now:", v.Live, store.Schemes())
	}
	if len(v.Differences) > 0 {
		fmt.Fprintf(w, "Changed since printing: %s\n", strings.Join(v.Differences, ", "))
	}
	fmt.Fprintf(w, "Signature:      %s\n", v.Signature)
	fmt.Fprintf(w, "Verdict:        %s — %s\n", i18n.EN.Render(v.Verdict), i18n.EN.Render(v.Verdict.Meaning()))
	if v.Note != nil {
		res.Note = i18n.EN.Render(v.Note)
		fmt.Fprintf(w, "                %s\n", res.Note)
	}
	return v.Verdict.OK(), nil
}

// qrText returns the QR code's text: the argument itself when it is a URL,
// else the decoded content of the image file it names.
func qrText(arg string) (string, error) {
	low := strings.ToLower(arg)
	if strings.HasPrefix(low, "https://") || strings.HasPrefix(low, "http://") {
		return arg, nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, qrimage.MaxUploadBytes+1))
	if err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	if len(b) > qrimage.MaxUploadBytes {
		return "", fmt.Errorf("verify %s: %s", arg, errText(qrimage.ErrUploadTooLarge()))
	}
	text, err := qrimage.DecodeUpload(b)
	if err != nil {
		return "", fmt.Errorf("verify %s: %s", arg, errText(err))
	}
	return text, nil
}

// verifyKeys loads the keys to verify with: the published set when given,
// else the local key ring (an operator's machine).
func verifyKeys(keySet, keysDirFlag, db string) (*signing.KeyRing, error) {
	if keySet != "" {
		kr, err := loadVerifyKeys(keySet)
		if err != nil {
			return nil, fmt.Errorf("verify: key set: %w", err)
		}
		return kr, nil
	}
	dir := keysDirFlag
	if dir == "" && db != "" {
		dir = signing.KeysDir(db)
	}
	if dir == "" {
		return nil, usageError{"verify needs the registry's public keys: --key-set FILE (download /.well-known/certreg-keys.json) or --keys DIR"}
	}
	kr, err := signing.LoadKeys(dir)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return kr, nil
}

func printClaims(w io.Writer, title string, r *registry.ClaimsRecord, schemes *registry.Schemes) {
	level, scheme := r.Level, r.Scheme
	if sc, ok := schemes.Get(r.Scheme); ok {
		scheme = sc.Standard + " " + sc.NameZH
		if l, ok := sc.Level(r.Level); ok {
			level = l.NameZH + " " + l.NameEN
		}
	}
	fmt.Fprintf(w, "%s\n", title)
	fmt.Fprintf(w, "  number          %s\n  holder          %s\n  credit code     %s\n  scheme          %s\n  level           %s\n  issued          %s\n  expires         %s\n  body            %s\n",
		r.Number, r.HolderName, r.CreditCode, scheme, level, r.IssueDate, r.ExpiryDate, r.BodyApproval)
}

// timeNow is the clock that says whether a printed expiry date has passed.
var timeNow = time.Now

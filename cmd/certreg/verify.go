package main

import (
	"context"
	"encoding/json"
	"errors"
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

// errVerifyFailed makes `certreg verify` exit 1 after printing its report
// when the QR code must not be trusted.
var errVerifyFailed = errors.New("verify: the QR code must not be trusted (see above)")

// verify runs `certreg verify URL-or-IMAGE`: it reads the QR code, checks
// which domain it names and, given the claims printed on the paper (or a
// certificate record), checks the registry's signature over them with the
// public key set alone. With --db it also gives the registry's verdict
// from a local copy of the database.
func verify(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "verify", "verify [--key-set FILE | --keys DIR] [--base-url URL] [--record FILE | printed fields] [--db FILE] URL-or-IMAGE")
	keySet := fs.String("key-set", envOr(e, "CERTREG_KEY_SET", ""), "published public key set `file` (/.well-known/certreg-keys.json; env CERTREG_KEY_SET)")
	keysDirFlag := keysFlag(fs, e)
	dbPath := fs.String("db", "", "optional registry database `file`: also give the registry's verdict from it")
	base := fs.String("base-url", envOr(e, "CERTREG_BASE_URL", ""), "the registry's canonical `URL`: a QR code naming another domain is reported as likely forged (env CERTREG_BASE_URL)")
	record := fs.String("record", "", "certificate record `file` (JSON, as GET /api/v1/certificates/{number} or the open data give it) whose claims to check")
	var in registry.Input
	fs.StringVar(&in.HolderName, "holder-name", "", "holder name as printed")
	fs.StringVar(&in.HolderCreditCode, "credit-code", "", "holder's unified social credit code as printed")
	fs.StringVar(&in.Scheme, "scheme", "", "scheme as printed (code or standard, e.g. GB/T 27922-2011)")
	fs.StringVar(&in.Level, "level", "", "level as printed (e.g. 五星级 or five-star)")
	fs.StringVar(&in.IssueDate, "issue-date", "", "issue date as printed")
	fs.StringVar(&in.ExpiryDate, "expiry-date", "", "expiry date as printed")
	fs.StringVar(&in.BodyApproval, "body", "", "certification body approval number as printed (CNCA-R-…)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"verify takes one argument: the QR code's URL, or a PNG/JPEG image of it"}
	}
	w := e.stdout

	text, err := qrText(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "QR code:        %s\n", text)
	p, err := signing.ParseQRURL(text)
	if err != nil {
		if p != nil && *base != "" && !p.Names(*base) {
			fmt.Fprintf(w, "WARNING:        the QR code points to %s, not to the registry (%s): likely forged\n", p.Origin, *base)
		}
		fmt.Fprintf(w, "Result:         NOT A CERTIFICATE QR CODE: %s\n", errText(err))
		return errVerifyFailed
	}
	untrusted := false
	if *base != "" {
		if p.Names(*base) {
			fmt.Fprintf(w, "Domain:         %s (the registry's canonical domain)\n", p.Origin)
		} else {
			fmt.Fprintf(w, "Domain:         %s\nWARNING:        this is NOT the registry's domain (%s): the QR code is likely forged, whatever it shows\n", p.Origin, *base)
			untrusted = true
		}
	} else {
		fmt.Fprintf(w, "Domain:         %s (give --base-url to check it is the registry's)\n", p.Origin)
	}
	qs := p.Signature
	fmt.Fprintf(w, "Certificate:    %s\n", qs.Number)

	kr, err := verifyKeys(*keySet, *keysDirFlag, *dbPath)
	if err != nil {
		return err
	}
	k, known := kr.Key(qs.KeyID)
	switch {
	case !known:
		fmt.Fprintf(w, "Signing key:    %s — UNKNOWN: not a key this registry published; the QR code is forged\n", qs.KeyID)
		return errVerifyFailed
	case k.Retired.IsZero():
		fmt.Fprintf(w, "Signing key:    %s (current)\n", k.ID)
	default:
		fmt.Fprintf(w, "Signing key:    %s (retired %s; still verifies what it signed)\n", k.ID, k.Retired.Format("2006-01-02"))
	}

	if *dbPath != "" {
		return verifyWithDB(ctx, w, *dbPath, kr, qs, untrusted)
	}

	b, err := data.FS.ReadFile("schemes.json")
	if err != nil {
		return err
	}
	schemes, err := registry.ParseSchemes(b)
	if err != nil {
		return err
	}
	if *record != "" {
		b, err := os.ReadFile(*record)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		var r registry.Record
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("verify: %s is not a certificate record: %w", *record, err)
		}
		cl := registry.ClaimsOfRecord(&r)
		in = registry.Input{Number: r.Number, HolderName: r.HolderName, HolderCreditCode: r.HolderCreditCode, Scheme: r.Scheme,
			Level: r.Level, IssueDate: cl.IssueDate.Format(registry.DateLayout), ExpiryDate: cl.ExpiryDate.Format(registry.DateLayout), BodyApproval: r.BodyApproval}
	}
	if in.HolderName == "" && in.HolderCreditCode == "" && in.Scheme == "" {
		fmt.Fprintln(w, "Signature:      NOT CHECKED: the QR code carries the signature, the paper carries the claims.")
		fmt.Fprintln(w, "                Give the printed fields (--holder-name --credit-code --scheme --level --issue-date --expiry-date --body)")
		fmt.Fprintln(w, "                or a certificate record (--record FILE) to check them offline.")
		if untrusted {
			return errVerifyFailed
		}
		return nil
	}
	in.Number = qs.Number
	cl, err := registry.ClaimsOfInput(in, schemes)
	if err != nil {
		return fmt.Errorf("verify: the printed claims: %w", err)
	}
	printClaims(w, "Printed claims:", cl.Record(), schemes)
	switch kr.VerifyClaims(qs, &cl) {
	case registry.SigGood:
		fmt.Fprintln(w, "Signature:      GOOD: the registry signed exactly these claims.")
		fmt.Fprintln(w, "Offline verdict: GENUINE AS PRINTED. The current status (valid, suspended, revoked, expired)")
		fmt.Fprintf(w, "                cannot be known offline: open the QR code's URL on the registry to see it.\n")
		if !cl.ExpiryDate.IsZero() && registry.Today(timeNow()).After(cl.ExpiryDate) {
			fmt.Fprintf(w, "                Note: the printed expiry date %s has passed: the certificate is EXPIRED.\n", cl.ExpiryDate.Format(registry.DateLayout))
			return errVerifyFailed
		}
		if untrusted {
			return errVerifyFailed
		}
		return nil
	default:
		fmt.Fprintln(w, "Signature:      BAD: the registry never signed these claims for this certificate.")
		fmt.Fprintln(w, "Offline verdict: FORGED OR ALTERED, or the claims were typed differently from the paper, or the")
		fmt.Fprintln(w, "                certificate changed since printing (check online for the current record).")
		return errVerifyFailed
	}
}

// verifyWithDB gives the registry's own verdict from a database file.
func verifyWithDB(ctx context.Context, w io.Writer, path string, kr *signing.KeyRing, qs *signing.QRSignature, untrusted bool) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	store, err := registry.Open(path)
	if err != nil {
		return err
	}
	defer store.Close()
	v, err := kr.VerifyQR(ctx, store, qs)
	if err != nil {
		return err
	}
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
		fmt.Fprintf(w, "                %s\n", i18n.EN.Render(v.Note))
	}
	if !v.Verdict.OK() || untrusted {
		return errVerifyFailed
	}
	return nil
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

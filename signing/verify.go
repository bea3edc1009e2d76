package signing

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/certreg/certreg/registry"
)

// VerifyQR checks a QR code's signature against the certificate it names:
// against the live record's claims first, then against every earlier
// version of them kept in the certificate's history, so that a genuine but
// outdated paper is told apart from a forged one and the fields that
// changed since printing are named.
func (kr *KeyRing) VerifyQR(ctx context.Context, s *registry.Store, qs *QRSignature) (*registry.Verification, error) {
	now := s.Now().UTC()
	v := &registry.Verification{Number: qs.Number, KeyID: qs.KeyID, CheckedAt: now}
	c, err := s.Certificate(ctx, qs.Number)
	if registry.ErrorCode(err) == registry.ENOTFOUND {
		v.Verdict, v.Signature = registry.VerdictNotRegistered, registry.SigUnchecked
		if _, ok := kr.Key(qs.KeyID); !ok {
			v.Verdict, v.Signature = registry.VerdictForged, registry.SigUnknownKey
			v.Note = &registry.Message{Key: "qr.unknown_key", Args: []any{qs.KeyID}}
		}
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	v.SetCertificate(c, now)
	live := registry.ClaimsOf(c)
	v.Signature = kr.VerifyClaims(qs, &live)
	switch v.Signature {
	case registry.SigGood:
		v.Printed = v.Live
		return v, nil
	case registry.SigUnknownKey:
		v.Verdict = registry.VerdictForged
		v.Note = &registry.Message{Key: "qr.unknown_key", Args: []any{qs.KeyID}}
		return v, nil
	}
	past, err := s.PastClaims(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for i := range past {
		if kr.VerifyClaims(qs, &past[i]) == registry.SigGood {
			v.Signature = registry.SigGood
			v.Printed = past[i].Record()
			v.Differences = past[i].Differences(&live)
			if v.Verdict == registry.VerdictValid {
				v.Verdict = registry.VerdictMismatch
			}
			v.Note = &registry.Message{Key: "qr.changed_since_printed"}
			return v, nil
		}
	}
	v.Verdict = registry.VerdictForged
	v.Note = &registry.Message{Key: "qr.matches_no_contents"}
	return v, nil
}

// Names reports whether the QR code names the registry whose canonical
// base URL is base. Hosts are compared, not schemes: the host is what a
// forger changes (a look-alike domain with a fake database behind it).
func (p *ParsedQR) Names(base string) bool {
	u, err := url.Parse(p.Origin)
	b, err2 := url.Parse(strings.TrimSpace(base))
	return err == nil && err2 == nil && b.Host != "" && strings.EqualFold(u.Host, b.Host)
}

// ForeignVerification is the verdict on a QR code that names another host
// than the registry's at base: forged, whatever it carries, since a fake
// registry answers for its own codes.
func ForeignVerification(p *ParsedQR, base string, now time.Time) *registry.Verification {
	host := base
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		host = u.Host
	}
	v := &registry.Verification{Verdict: registry.VerdictForged, Signature: registry.SigUnchecked, CheckedAt: now.UTC(),
		Note: &registry.Message{Key: "qr.foreign_host", Args: []any{p.Origin, host}}}
	if p.Signature != nil {
		v.Number = p.Signature.Number
	}
	return v
}

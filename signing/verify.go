package signing

import (
	"context"
	"fmt"
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
			v.NoteZH, v.NoteEN = unknownKeyNote(qs.KeyID)
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
		v.NoteZH, v.NoteEN = unknownKeyNote(qs.KeyID)
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
			v.NoteZH = "二维码签名真实，但证书内容在打印后已变更：以下标出的项目与登记库当前记录不同，请以登记库为准。"
			v.NoteEN = "The QR code's signature is genuine, but the certificate changed after it was printed: the fields marked below differ from the registry's current record, which prevails."
			return v, nil
		}
	}
	v.Verdict = registry.VerdictForged
	v.NoteZH = "签名与本证书任何时候的登记内容都不符：二维码或证书内容被伪造或篡改。"
	v.NoteEN = "The signature matches none of this certificate's registered contents, past or present: the QR code or the certificate was forged or altered."
	return v, nil
}

func unknownKeyNote(id string) (zh, en string) {
	return fmt.Sprintf("签名密钥 %s 不是本登记库发布的密钥：二维码是伪造的。", id),
		fmt.Sprintf("The signing key %s is not one this registry has published: the QR code is forged.", id)
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
		NoteZH: fmt.Sprintf("二维码指向 %s，而不是本登记库（%s）：很可能是伪造的。", p.Origin, host),
		NoteEN: fmt.Sprintf("The QR code points to %s, not to this registry (%s): it is likely forged.", p.Origin, host)}
	if p.Signature != nil {
		v.Number = p.Signature.Number
	}
	return v
}

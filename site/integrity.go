package site

import (
	"context"
	"fmt"
	"strings"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
)

// Before a certificate's page, its API record or a verdict is rendered, the
// row read is compared with the record its latest event keeps (the one the
// public log holds, or will once sequenced): one indexed read. A row edited
// behind the registry's back (an UPDATE on the file) then never shows as
// VALID; the failure is logged at error level, for the operator's alerts,
// and counted at /healthz. `certreg log verify` finds every such row at
// once; this check finds the one being shown.

// checkRow reports whether c, as read, is the record its log holds.
func (s *Server) checkRow(ctx context.Context, c *registry.Certificate) (ok bool, err error) {
	m, err := s.store.CheckRow(ctx, c)
	return s.rowChecked(m, err)
}

// checkRowRead is checkRow for a certificate read with its latest record
// (a certificate's page): no second query unless they differ.
func (s *Server) checkRowRead(ctx context.Context, c *registry.Certificate, latest registry.LatestRecord) (ok bool, err error) {
	m, err := s.store.CheckRowRead(ctx, c, latest)
	return s.rowChecked(m, err)
}

// rowChecked reports a row check's result, counting and logging a
// mismatch.
func (s *Server) rowChecked(m *registry.RowMismatch, err error) (ok bool, _ error) {
	if err != nil {
		return false, err
	}
	if m == nil {
		return true, nil
	}
	s.integrityFailures.Add(1)
	what := "fields " + strings.Join(m.Fields, ", ")
	switch {
	case m.EventID == 0:
		what = "no event at all"
	case m.Deleted != 0 && len(m.Fields) == 0:
		what = fmt.Sprintf("logged event #%d deleted", m.Deleted)
	case m.Deleted != 0:
		what += fmt.Sprintf("; logged event #%d deleted", m.Deleted)
	}
	s.log.Error("certificate row failed its integrity check: it differs from the record of its latest logged or pending event; run certreg log verify",
		"number", m.Number, "event", m.EventID, "differs", what)
	return false, nil
}

// checkVerification turns v into VerdictIntegrity when its certificate's
// row fails the check.
func (s *Server) checkVerification(ctx context.Context, v *registry.Verification) error {
	if v.Certificate == nil {
		return nil
	}
	ok, err := s.checkRow(ctx, v.Certificate)
	if err != nil || ok {
		return err
	}
	v.FailIntegrity()
	return nil
}

// verifyQR checks a QR code's signature and the row behind it.
func (s *Server) verifyQR(ctx context.Context, qs *signing.QRSignature) (*registry.Verification, error) {
	v, err := s.verify.keys.VerifyQR(ctx, s.store, qs)
	if err != nil {
		return nil, err
	}
	return v, s.checkVerification(ctx, v)
}

// verifyManual checks a number with its holder, and the row behind it.
func (s *Server) verifyManual(ctx context.Context, number, holder string) (*registry.Verification, error) {
	v, err := s.store.VerifyManual(ctx, number, holder)
	if err != nil {
		return nil, err
	}
	return v, s.checkVerification(ctx, v)
}

// verifyBatch checks a batch, and every row behind it.
func (s *Server) verifyBatch(ctx context.Context, lines []registry.BatchLine) ([]registry.BatchResult, error) {
	res, err := s.store.VerifyBatch(ctx, lines)
	if err != nil {
		return nil, err
	}
	for i := range res {
		if err := s.checkVerification(ctx, &res[i].Verification); err != nil {
			return nil, err
		}
	}
	return res, nil
}

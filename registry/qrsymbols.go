package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Stored QR symbols (migration 0016): each certificate's QR symbol kept as
// bits beside it, so that its page draws the code without encoding it. The
// store keeps the bytes and nothing else: package qrimage packs and checks
// them (qrimage.Pack, qrimage.Unpack), and a symbol is drawn only when its
// sum matches the content the page is about to show. The table is derived
// data: not logged, not audited by `log verify`, and writing it changes
// neither the registry's generation nor any certificate.

// StoredQR is a certificate's stored QR symbol as read: the sum of the
// content it encodes and its packed modules, both nil when none is stored.
type StoredQR struct {
	Sum, Modules []byte
}

// QRSymbol is one symbol to store.
type QRSymbol struct {
	CertificateID int64
	Sum, Modules  []byte
}

// MaxQRSymbolBytes bounds what PutQRSymbols accepts for one symbol: a
// version-40 symbol (177×177) packed is 3,922 bytes, a certificate's URL
// needs version 7 (259).
const MaxQRSymbolBytes = 4096

// PageRead is what a certificate's page shows, read at once.
type PageRead struct {
	Certificate *Certificate
	Events      []Event // oldest first
	QR          StoredQR
	// Latest is the record of its latest event, for the integrity check
	// (CheckRowRead).
	Latest LatestRecord
	// LogIndex is its newest entry in the tree of the latest checkpoint,
	// when Logged (as CheckpointedLeaf).
	LogIndex int64
	Logged   bool
}

// LatestRecord is the record kept by a certificate's latest event with
// one, as read with the certificate: Found false when no event has one;
// Deleted, the newest logged event of the certificate after it whose
// events row is gone (0 for none).
type LatestRecord struct {
	EventID  int64
	Snapshot string
	Deleted  int64
	Found    bool
}

// CertificatePage returns what a certificate's page shows in one indexed
// read: the certificate with number (as Certificate finds it), its events,
// its stored QR symbol (none when none is stored), its latest record and
// its latest checkpointed log entry.
func (s *Store) CertificatePage(ctx context.Context, number string) (*PageRead, error) {
	return s.certificateWithHistory(ctx, number, true)
}

// PutQRSymbols stores symbols, replacing any stored for the same
// certificates, in one transaction. It is for derived data only: the
// registry's generation is left as it is, since no page changes.
func (s *Store) PutQRSymbols(ctx context.Context, syms []QRSymbol) error {
	if len(syms) == 0 {
		return nil
	}
	for _, q := range syms {
		if len(q.Modules) > MaxQRSymbolBytes || len(q.Modules) == 0 || len(q.Sum) == 0 {
			return fmt.Errorf("store QR symbol of certificate %d: %d bytes", q.CertificateID, len(q.Modules))
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store QR symbols: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO qr_symbols(certificate_id, content_sum, modules) VALUES (?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store QR symbols: %w", err)
	}
	defer st.Close()
	for _, q := range syms {
		if _, err := st.ExecContext(ctx, q.CertificateID, q.Sum, q.Modules); err != nil {
			return fmt.Errorf("store QR symbol of certificate %d: %w", q.CertificateID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store QR symbols: %w", err)
	}
	return nil
}

// QRSymbols returns the stored symbols of the certificates with ids (those
// that have one), for a caller that draws many (the static export).
func (s *Store) QRSymbols(ctx context.Context, ids []int64) (map[int64]StoredQR, error) {
	out := make(map[int64]StoredQR, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT certificate_id, content_sum, modules FROM qr_symbols WHERE certificate_id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, fmt.Errorf("QR symbols: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var q StoredQR
		if err := rows.Scan(&id, &q.Sum, &q.Modules); err != nil {
			return nil, fmt.Errorf("QR symbols: %w", err)
		}
		out[id] = q
	}
	return out, rows.Err()
}

// QRCandidates returns up to limit certificates with ids above afterID, in
// id order, each with its stored symbol: a batch of the background filler's
// walk over the registry.
func (s *Store) QRCandidates(ctx context.Context, afterID int64, limit int) ([]*Certificate, []StoredQR, error) {
	return s.qrCandidates(ctx, `WHERE c.id > ? ORDER BY c.id LIMIT ?`, afterID, limit)
}

// QRCandidatesByID returns the certificates with ids, each with its stored
// symbol, in id order.
func (s *Store) QRCandidatesByID(ctx context.Context, ids []int64) ([]*Certificate, []StoredQR, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, nil, err
	}
	return s.qrCandidates(ctx, `WHERE c.id IN (SELECT value FROM json_each(?)) ORDER BY c.id`, string(list))
}

func (s *Store) qrCandidates(ctx context.Context, where string, args ...any) ([]*Certificate, []StoredQR, error) {
	rows, err := s.query(ctx, `SELECT `+certColumns+`, q.content_sum, q.modules`+certFrom+` LEFT JOIN qr_symbols q ON q.certificate_id = c.id `+where, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("QR candidates: %w", err)
	}
	defer rows.Close()
	var (
		certs []*Certificate
		syms  []StoredQR
	)
	for rows.Next() {
		var q StoredQR
		c, err := scanCertificate(withExtra{rows, []any{&q.Sum, &q.Modules}})
		if err != nil {
			return nil, nil, fmt.Errorf("QR candidates: %w", err)
		}
		certs, syms = append(certs, c), append(syms, q)
	}
	return certs, syms, rows.Err()
}

// CertificatesChangedSince returns the ids of up to limit certificates
// with an event after event afterEvent, and the last event id read (to
// pass next time; afterEvent when there is none): what the background
// filler looks at again once it has walked the registry.
func (s *Store) CertificatesChangedSince(ctx context.Context, afterEvent int64, limit int) ([]int64, int64, error) {
	rows, err := s.query(ctx, `SELECT id, certificate_id FROM events WHERE id > ? AND certificate_id IS NOT NULL ORDER BY id LIMIT ?`, afterEvent, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("changed certificates: %w", err)
	}
	defer rows.Close()
	last := afterEvent
	seen := map[int64]bool{}
	var ids []int64
	for rows.Next() {
		var id int64
		var cert sql.NullInt64
		if err := rows.Scan(&id, &cert); err != nil {
			return nil, 0, fmt.Errorf("changed certificates: %w", err)
		}
		last = id
		if !seen[cert.Int64] {
			seen[cert.Int64] = true
			ids = append(ids, cert.Int64)
		}
	}
	return ids, last, rows.Err()
}

// LastEventID returns the id of the newest event (0 when there is none).
func (s *Store) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	err := s.queryRow(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("last event: %w", err)
	}
	return id, nil
}

// QRFillState returns where the filler of stored QR symbols stands: the
// scope of its last complete walk and the newest event it has looked at
// (ok false when no walk ever completed).
func (s *Store) QRFillState(ctx context.Context) (scope string, lastEvent int64, ok bool, err error) {
	err = s.queryRow(ctx, `SELECT scope, last_event FROM qr_symbols_state WHERE id = 1`).Scan(&scope, &lastEvent)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("QR symbols state: %w", err)
	}
	return scope, lastEvent, true, nil
}

// SetQRFillState records that every certificate's symbol of scope is
// stored, as of event lastEvent.
func (s *Store) SetQRFillState(ctx context.Context, scope string, lastEvent int64) error {
	if _, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO qr_symbols_state(id, scope, last_event) VALUES (1, ?, ?)`, scope, lastEvent); err != nil {
		return fmt.Errorf("QR symbols state: %w", err)
	}
	return nil
}

package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The transparency log (package translog) keeps its tree in three tables of
// the registry's file: translog_leaves (which event each leaf records),
// translog_hashes (the tree's stored hashes, numbered as
// golang.org/x/mod/sumdb/tlog numbers them) and translog_checkpoints (every
// signed checkpoint). All three are append-only, like the events table.
// This file is the store's side of it: the log decides what to write, the
// store reads and writes the rows.

// LogEvent is a certificate event as the transparency log records it: the
// columns of its events row as stored, JSON included.
type LogEvent struct {
	ID            int64
	CertificateID int64 // 0 for an event that concerns no certificate
	Kind          string
	Effective     string // YYYY-MM-DD, or ""
	Reason        string
	Source        string
	At            string // RFC 3339, as stored
	Changes       string // JSON
	Record        string // the certificate's record after the event, JSON; "" when none was kept
}

const logEventColumns = `e.id, coalesce(e.certificate_id, 0), e.kind, coalesce(e.effective_date, ''), e.reason, e.source, e.at, e.changes, e.snapshot`

func scanLogEvent(r scanner) (LogEvent, error) {
	var e LogEvent
	err := r.Scan(&e.ID, &e.CertificateID, &e.Kind, &e.Effective, &e.Reason, &e.Source, &e.At, &e.Changes, &e.Record)
	return e, err
}

// LogLeaf is one entry of the log: its leaf index and the event it records.
type LogLeaf struct {
	Index         int64
	EventID       int64
	CertificateID int64
}

// StoredCheckpoint is a signed checkpoint as the store keeps it.
type StoredCheckpoint struct {
	ID       int64
	Size     int64
	Root     []byte
	Note     string // the signed note, as served at /log/checkpoint
	SignedAt time.Time
}

// LatestCheckpoint returns the newest signed checkpoint; ENOTFOUND when
// none was signed yet.
func (s *Store) LatestCheckpoint(ctx context.Context) (*StoredCheckpoint, error) {
	cp := &StoredCheckpoint{}
	var at string
	err := s.db.QueryRowContext(ctx, `SELECT id, size, root, note, signed_at FROM translog_checkpoints ORDER BY id DESC LIMIT 1`).
		Scan(&cp.ID, &cp.Size, &cp.Root, &cp.Note, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "", "registry.public_log_has_no")
	}
	if err != nil {
		return nil, fmt.Errorf("transparency log checkpoint: %w", err)
	}
	cp.SignedAt = parseTime(at)
	return cp, nil
}

// LogPending reports whether some certificate event is not in the log yet.
func (s *Store) LogPending(ctx context.Context) (bool, error) {
	return logPending(ctx, s.db)
}

func logPending(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE certificate_id IS NOT NULL
		AND id > coalesce((SELECT max(event_id) FROM translog_leaves), 0))`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("transparency log: pending events: %w", err)
	}
	return n != 0, nil
}

// LogHashes reads stored hashes of the log's tree by their tlog index.
func (s *Store) LogHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	return readLogHashes(ctx, s.db, indexes)
}

// readLogHashes reads a few hashes one by one (appending reads ~log n of
// them) and many (a tile's 256) in one query.
func readLogHashes(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, indexes []int64) ([][32]byte, error) {
	out := make([][32]byte, len(indexes))
	if len(indexes) <= 8 {
		for i, x := range indexes {
			var b []byte
			if err := q.QueryRowContext(ctx, `SELECT hash FROM translog_hashes WHERE id = ?`, x).Scan(&b); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return nil, fmt.Errorf("transparency log: stored hash %d is missing", x)
				}
				return nil, err
			}
			if err := copyHash(&out[i], x, b); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	pos := make(map[int64][]int, len(indexes))
	args := make([]any, 0, len(indexes))
	for i, x := range indexes {
		if _, ok := pos[x]; !ok {
			args = append(args, x)
		}
		pos[x] = append(pos[x], i)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, hash FROM translog_hashes WHERE id IN (?`+strings.Repeat(",?", len(args)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var x int64
		var b []byte
		if err := rows.Scan(&x, &b); err != nil {
			return nil, err
		}
		for _, i := range pos[x] {
			if err := copyHash(&out[i], x, b); err != nil {
				return nil, err
			}
		}
		found++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if found != len(args) {
		return nil, fmt.Errorf("transparency log: %d of %d stored hashes are missing", len(args)-found, len(args))
	}
	return out, nil
}

func copyHash(dst *[32]byte, x int64, b []byte) error {
	if len(b) != len(dst) {
		return fmt.Errorf("transparency log: stored hash %d is %d bytes", x, len(b))
	}
	copy(dst[:], b)
	return nil
}

// LoggedEvents returns the events of leaves [start, start+n), in leaf
// order. A leaf whose event row is gone is an error: `certreg log verify`
// names it.
func (s *Store) LoggedEvents(ctx context.Context, start, n int64) ([]LogEvent, error) {
	rows, err := s.query(ctx, `SELECT l.idx, `+logEventColumns+`
		FROM translog_leaves l JOIN events e ON e.id = l.event_id
		WHERE l.idx >= ? AND l.idx < ? ORDER BY l.idx`, start, start+n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]LogEvent, 0, n)
	want := start
	for rows.Next() {
		var idx int64
		var e LogEvent
		if err := rows.Scan(&idx, &e.ID, &e.CertificateID, &e.Kind, &e.Effective, &e.Reason, &e.Source, &e.At, &e.Changes, &e.Record); err != nil {
			return nil, fmt.Errorf("log entries from %d: leaf %d: %w", start, idx, err)
		}
		if idx != want {
			return nil, fmt.Errorf("log entries from %d: the event of leaf %d is missing (run certreg log verify)", start, want)
		}
		out = append(out, e)
		want++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if want != start+n {
		return nil, fmt.Errorf("log entries from %d: leaf %d is missing", start, want)
	}
	return out, nil
}

// LatestLeaf returns the newest leaf of the certificate with id certID among
// the first size leaves; ok is false while there is none.
func (s *Store) LatestLeaf(ctx context.Context, certID, size int64) (leaf LogLeaf, ok bool, err error) {
	leaf.CertificateID = certID
	err = s.db.QueryRowContext(ctx, `SELECT idx, event_id FROM translog_leaves WHERE certificate_id = ? AND idx < ? ORDER BY idx DESC LIMIT 1`,
		certID, size).Scan(&leaf.Index, &leaf.EventID)
	if errors.Is(err, sql.ErrNoRows) {
		return leaf, false, nil
	}
	if err != nil {
		return leaf, false, fmt.Errorf("log entry of certificate %d: %w", certID, err)
	}
	return leaf, true, nil
}

// CheckpointedLeaf returns the index of the newest leaf of the
// certificate with id certID in the tree of the latest checkpoint, in one
// indexed read; ok is false while there is none.
func (s *Store) CheckpointedLeaf(ctx context.Context, certID int64) (index int64, ok bool, err error) {
	err = s.queryRow(ctx, `SELECT l.idx FROM translog_leaves l
		WHERE l.certificate_id = ? AND l.idx < (SELECT size FROM translog_checkpoints ORDER BY id DESC LIMIT 1)
		ORDER BY l.idx DESC LIMIT 1`, certID).Scan(&index)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("log entry of certificate %d: %w", certID, err)
	}
	return index, true, nil
}

// LatestLeaves returns, for every certificate in the tree of the latest
// checkpoint, the index of its newest leaf there, in one query: what the
// static export keys pages by.
func (s *Store) LatestLeaves(ctx context.Context) (map[int64]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT l.certificate_id, max(l.idx) FROM translog_leaves l
		WHERE l.certificate_id IS NOT NULL AND l.idx < coalesce((SELECT size FROM translog_checkpoints ORDER BY id DESC LIMIT 1), 0)
		GROUP BY l.certificate_id`)
	if err != nil {
		return nil, fmt.Errorf("log entries: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, idx int64
		if err := rows.Scan(&id, &idx); err != nil {
			return nil, err
		}
		out[id] = idx
	}
	return out, rows.Err()
}

// EventsAfter counts the events of the certificate with id certID written
// after the event with id eventID.
func (s *Store) EventsAfter(ctx context.Context, certID, eventID int64) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE certificate_id = ? AND id > ?`, certID, eventID).Scan(&n); err != nil {
		return 0, fmt.Errorf("events of certificate %d: %w", certID, err)
	}
	return n, nil
}

// LogAppend is one write transaction of the log's sequencer (see
// Store.AppendLog): it reads the events not logged yet and appends leaves,
// hashes and a checkpoint, all committed together or not at all.
type LogAppend struct {
	ctx     context.Context
	tx      *sql.Tx
	now     time.Time
	leaf    *sql.Stmt
	hash    *sql.Stmt
	pending *sql.Stmt
}

// AppendLog runs fn in one write transaction of the log, with the clock
// read once, and commits when fn returns nil.
func (s *Store) AppendLog(ctx context.Context, fn func(a *LogAppend) error) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		a := &LogAppend{ctx: ctx, tx: tx, now: now}
		defer a.close()
		var err error
		if a.leaf, err = tx.PrepareContext(ctx, `INSERT INTO translog_leaves(idx, event_id, certificate_id) VALUES (?, ?, ?)`); err != nil {
			return err
		}
		if a.hash, err = tx.PrepareContext(ctx, `INSERT INTO translog_hashes(id, hash) VALUES (?, ?)`); err != nil {
			return err
		}
		if a.pending, err = tx.PrepareContext(ctx, `SELECT `+logEventColumns+` FROM events e
			WHERE e.certificate_id IS NOT NULL AND e.id > ? ORDER BY e.id LIMIT ?`); err != nil {
			return err
		}
		return fn(a)
	})
}

func (a *LogAppend) close() {
	for _, st := range []*sql.Stmt{a.leaf, a.hash, a.pending} {
		if st != nil {
			st.Close()
		}
	}
}

// Now is the transaction's clock.
func (a *LogAppend) Now() time.Time { return a.now }

// State returns the log's size and the id of the last event it records.
func (a *LogAppend) State() (size, lastEventID int64, err error) {
	err = a.tx.QueryRowContext(a.ctx, `SELECT count(*), coalesce(max(event_id), 0) FROM translog_leaves`).Scan(&size, &lastEventID)
	return size, lastEventID, err
}

// Unlogged returns up to limit certificate events after the event with id
// after, in id order.
func (a *LogAppend) Unlogged(after int64, limit int) ([]LogEvent, error) {
	rows, err := a.pending.QueryContext(a.ctx, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LogEvent
	for rows.Next() {
		e, err := scanLogEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ReadHashes reads stored hashes, those appended in this transaction
// included.
func (a *LogAppend) ReadHashes(indexes []int64) ([][32]byte, error) {
	return readLogHashes(a.ctx, a.tx, indexes)
}

// Append adds the leaf and the hashes its leaf adds to the tree, stored
// from hash index first on.
func (a *LogAppend) Append(leaf LogLeaf, first int64, hashes [][32]byte) error {
	for i, h := range hashes {
		if _, err := a.hash.ExecContext(a.ctx, first+int64(i), h[:]); err != nil {
			return fmt.Errorf("append log hash %d: %w", first+int64(i), err)
		}
	}
	if _, err := a.leaf.ExecContext(a.ctx, leaf.Index, leaf.EventID, leaf.CertificateID); err != nil {
		return fmt.Errorf("append log leaf %d: %w", leaf.Index, err)
	}
	return nil
}

// AddCheckpoint stores a signed checkpoint of the tree of size leaves. The
// pages that show log entries and proofs are out of date from then on.
func (a *LogAppend) AddCheckpoint(size int64, root [32]byte, note []byte) error {
	if _, err := a.tx.ExecContext(a.ctx, `INSERT INTO translog_checkpoints(size, root, note, signed_at) VALUES (?, ?, ?, ?)`,
		size, root[:], string(note), fmtTime(a.now)); err != nil {
		return fmt.Errorf("store checkpoint: %w", err)
	}
	return bumpGeneration(a.tx)
}

// LogSnapshot reads the log and the events of one snapshot of the database
// (see Store.ReadLogSnapshot).
type LogSnapshot struct {
	ctx     context.Context
	conn    *sql.Conn
	schemes *Schemes
}

// ReadLogSnapshot runs fn with a read of one consistent snapshot of the
// database, without taking the write lock: writers go on meanwhile.
func (s *Store) ReadLogSnapshot(ctx context.Context, fn func(r *LogSnapshot) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A deferred transaction reads one WAL snapshot without taking the
	// write lock (the DSN makes BeginTx immediate).
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	return fn(&LogSnapshot{ctx: ctx, conn: conn, schemes: s.schemes})
}

// EachLeaf calls fn for every leaf, in index order.
func (r *LogSnapshot) EachLeaf(fn func(LogLeaf) error) error {
	return r.each(`SELECT idx, event_id, certificate_id FROM translog_leaves ORDER BY idx`, func(rows *sql.Rows) error {
		var l LogLeaf
		if err := rows.Scan(&l.Index, &l.EventID, &l.CertificateID); err != nil {
			return err
		}
		return fn(l)
	})
}

// EachHash calls fn for every stored hash, in index order.
func (r *LogSnapshot) EachHash(fn func(index int64, hash []byte) error) error {
	return r.each(`SELECT id, hash FROM translog_hashes ORDER BY id`, func(rows *sql.Rows) error {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return err
		}
		return fn(id, b)
	})
}

// EachEvent calls fn for every event, of a certificate or not, in id order.
func (r *LogSnapshot) EachEvent(fn func(LogEvent) error) error {
	return r.each(`SELECT `+logEventColumns+` FROM events e ORDER BY e.id`, func(rows *sql.Rows) error {
		e, err := scanLogEvent(rows)
		if err != nil {
			return err
		}
		return fn(e)
	})
}

// EachCheckpoint calls fn for every signed checkpoint, oldest first.
func (r *LogSnapshot) EachCheckpoint(fn func(StoredCheckpoint) error) error {
	return r.each(`SELECT id, size, root, note, signed_at FROM translog_checkpoints ORDER BY id`, func(rows *sql.Rows) error {
		var cp StoredCheckpoint
		var at string
		if err := rows.Scan(&cp.ID, &cp.Size, &cp.Root, &cp.Note, &at); err != nil {
			return err
		}
		cp.SignedAt = parseTime(at)
		return fn(cp)
	})
}

// CertificateNumber returns the number of the certificate with id, and
// false if no such row exists.
func (r *LogSnapshot) CertificateNumber(id int64) (string, bool, error) {
	var n string
	err := r.conn.QueryRowContext(r.ctx, `SELECT number FROM certificates WHERE id = ?`, id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return n, err == nil, err
}

func (r *LogSnapshot) each(q string, fn func(*sql.Rows) error) error {
	rows, err := r.conn.QueryContext(r.ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LogStatus is how far the transparency log has come, for monitoring.
type LogStatus struct {
	Size           int64     // entries in the log
	CheckpointSize int64     // tree size of the latest signed checkpoint (0: none yet)
	CheckpointAt   time.Time // when it was signed (zero: none yet)
	Pending        int64     // certificate events not in the log yet
	OldestPending  time.Time // when the oldest of them was written (zero: none)
}

// LogStatus reads the log's size, its latest checkpoint and the events
// waiting to be logged, in one read transaction so that the figures agree.
func (s *Store) LogStatus(ctx context.Context) (*LogStatus, error) {
	tx, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("transparency log status: %w", err)
	}
	defer tx.Close()
	// A deferred transaction reads one snapshot without taking the write
	// lock (the DSN makes BeginTx immediate): a scrape never waits on a
	// writer, nor makes one wait.
	if _, err := tx.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return nil, fmt.Errorf("transparency log status: %w", err)
	}
	defer tx.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	st := &LogStatus{}
	var lastEvent int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(idx)+1, 0), coalesce(max(event_id), 0) FROM translog_leaves`).Scan(&st.Size, &lastEvent); err != nil {
		return nil, fmt.Errorf("transparency log status: %w", err)
	}
	var oldest sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT count(*), min(at) FROM events WHERE certificate_id IS NOT NULL AND id > ?`, lastEvent).
		Scan(&st.Pending, &oldest); err != nil {
		return nil, fmt.Errorf("transparency log status: pending events: %w", err)
	}
	if oldest.Valid {
		st.OldestPending = parseTime(oldest.String)
	}
	var at string
	err = tx.QueryRowContext(ctx, `SELECT size, signed_at FROM translog_checkpoints ORDER BY id DESC LIMIT 1`).Scan(&st.CheckpointSize, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("transparency log status: checkpoint: %w", err)
	default:
		st.CheckpointAt = parseTime(at)
	}
	return st, nil
}

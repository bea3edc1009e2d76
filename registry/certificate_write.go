package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// CreateBodies lets a row name a body the registry does not know yet, by
	// approval number and name; the operator's command-line import uses it to
	// migrate existing data. Otherwise an unknown body is an error.
	CreateBodies bool
	// DryRun validates and plans every row, then writes nothing.
	DryRun bool
	// KeepItems returns one ImportItem per row (for a preview).
	KeepItems bool
	// MaxErrors bounds how many errors are collected (default 1000); the
	// count of all errors is still reported.
	MaxErrors int
}

// ImportResult says what an import did, or with DryRun would do.
type ImportResult struct {
	Rows      int
	Created   int
	Updated   int
	Unchanged int
	Warnings  []FieldError
	Items     []ImportItem
}

// ImportItem is what happens to one row.
type ImportItem struct {
	Line    int      `json:"line"`
	Number  string   `json:"number"`
	Action  string   `json:"action"` // create, update, unchanged
	Changes []Change `json:"changes,omitempty"`
}

// ImportError is returned when any row is bad: nothing was written. Errors
// holds at most MaxErrors of them; Total counts them all.
type ImportError struct {
	Errors ValidationErrors
	Total  int
	Rows   int
}

// Error counts the problems and lists them for a log.
func (e *ImportError) Error() string {
	msg := fmt.Sprintf("nothing imported: %d of %d rows have problems", e.Total, e.Rows)
	if e.Total == 0 {
		msg = "nothing imported"
	}
	return msg + "\n" + strings.TrimPrefix(e.Errors.Error(), "invalid input: ")
}

// Unwrap lets errors.As find the ValidationErrors.
func (e *ImportError) Unwrap() error { return e.Errors }

// RowError lets a row source report a row it could not read (a line with
// too many fields, say) without stopping the import: it is collected with
// the other errors.
type RowError struct{ FieldError }

// Error is the row's problem, for a log.
func (e *RowError) Error() string { return e.FieldError.String() }

// PutCertificates creates or updates certificates, all or nothing.
func (s *Store) PutCertificates(ctx context.Context, actor Actor, inputs []Input, opts ImportOptions) (ImportResult, error) {
	i := 0
	return s.Import(ctx, actor, func() (Input, error) {
		if i == len(inputs) {
			return Input{}, io.EOF
		}
		i++
		return inputs[i-1], nil
	}, opts)
}

// Import reads inputs from next until io.EOF and creates or updates each
// certificate in one transaction: if any row is bad, nothing is written and
// every problem comes back in an *ImportError. A row equal to the stored
// certificate changes nothing; a changed row updates it and appends events
// that record each change. Memory stays bounded whatever the row count.
func (s *Store) Import(ctx context.Context, actor Actor, next func() (Input, error), opts ImportOptions) (ImportResult, error) {
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 1000
	}
	var res ImportResult
	ierr := &ImportError{}
	addErr := func(fe FieldError) {
		ierr.Total++
		if len(ierr.Errors) < opts.MaxErrors {
			ierr.Errors = append(ierr.Errors, fe)
		}
	}
	errDone := errors.New("done")
	finish := func() error { return nil }
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		w, err := s.newWriter(ctx, tx, now, actor)
		if err != nil {
			return err
		}
		defer w.close()
		// A registry without certificates cannot hold any number of the
		// file: no row needs to look for a stored certificate.
		if w.fresh, err = registryEmpty(ctx, tx); err != nil {
			return err
		}
		if !opts.DryRun && w.fresh && s.fts != nil {
			w.fts = s.fts
		}
		if !opts.DryRun && w.fresh {
			// The indexes come back in the same transaction, before the
			// commit, so no reader ever sees the tables without them; a
			// rollback restores them too.
			rebuild, err := deferIndexes(ctx, tx)
			if err != nil {
				return err
			}
			if rebuild != nil {
				finish = rebuild
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_seen (key TEXT PRIMARY KEY, line INTEGER) WITHOUT ROWID`); err != nil {
			return err
		}
		defer tx.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.import_seen`)
		if _, err := tx.ExecContext(ctx, `DELETE FROM temp.import_seen`); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM certificates`).Scan(&w.nextID); err != nil {
			return err
		}
		// Rows are planned and written a batch at a time: every statement
		// then carries many rows, so the cost of a statement (preparing,
		// stepping, the driver's locks) is paid once a batch, not once a row.
		batch := make([]validatedRow, 0, importBatch)
		flush := func(final bool) error {
			items, err := w.plan(batch, opts.CreateBodies)
			if err != nil {
				return err
			}
			for i := range batch {
				v := &batch[i]
				if v.err != nil {
					var rerr *RowError
					errors.As(v.err, &rerr)
					res.Rows++
					addErr(rerr.FieldError)
					continue
				}
				res.Rows++
				for _, fe := range v.errs {
					addErr(v.in.column(fe))
				}
				if len(v.errs) > 0 {
					continue
				}
				item, fe := items[i].item, items[i].fe
				if fe != nil {
					fe.Line = v.in.Line
					addErr(v.in.column(*fe))
					continue
				}
				if len(res.Warnings) < opts.MaxErrors {
					res.Warnings = append(res.Warnings, v.warns...)
				}
				switch item.Action {
				case "create":
					res.Created++
				case "update":
					res.Updated++
				default:
					res.Unchanged++
				}
				if opts.KeepItems {
					item.Line = v.in.Line
					res.Items = append(res.Items, item)
				}
			}
			batch = batch[:0]
			// Once any row is bad nothing will be committed: the rest of the
			// file is still checked, but its writes are skipped.
			return w.writePending(opts.DryRun || ierr.Total > 0, final)
		}
		rows, stop := validated(ctx, next, s.schemes)
		defer stop()
		for v := range rows {
			if v.err != nil {
				var rerr *RowError
				if !errors.As(v.err, &rerr) {
					return v.err
				}
			}
			if batch = append(batch, v); len(batch) == importBatch {
				if err := flush(false); err != nil {
					return err
				}
			}
		}
		if err := flush(true); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if res.Rows == 0 {
			addErr(fieldErr("", "registry.there_no_data_rows"))
		}
		if ierr.Total > 0 {
			ierr.Rows = res.Rows
			return ierr
		}
		if opts.DryRun {
			return errDone
		}
		if err := finish(); err != nil {
			return err
		}
		if res.Created+res.Updated > 0 {
			return bumpGeneration(tx)
		}
		return nil
	})
	if err == errDone {
		err = nil
	}
	if err != nil {
		return res, err
	}
	return res, nil
}

// registryEmpty reports, in tx, whether the registry holds no certificate.
func registryEmpty(ctx context.Context, tx *sql.Tx) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM certificates LIMIT 1)`).Scan(&n); err != nil {
		return false, fmt.Errorf("count certificates: %w", err)
	}
	return n == 0, nil
}

// deferIndexes drops the secondary indexes of the certificates table, for
// a first import into an empty registry, and returns the function that
// creates them again. The import then writes its rows in order and builds
// each index once, by sorting, instead of inserting into every index row
// by row at random places. The unique index on the number stays: it checks
// uniqueness as rows arrive. The events' indexes stay too: a new event
// always sorts last among its certificate's, kind's, body's or actor's, so
// those indexes grow at their ends, which costs less than sorting them.
func deferIndexes(ctx context.Context, tx *sql.Tx) (rebuild func() error, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'certificates' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names, creates []string
	for rows.Next() {
		var name, create string
		if err := rows.Scan(&name, &create); err != nil {
			rows.Close()
			return nil, err
		}
		names, creates = append(names, name), append(creates, create)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return nil, fmt.Errorf("defer index %s: %w", name, err)
		}
	}
	return func() error {
		// SQLite sorts in memory up to the page cache's size, on top of
		// the cache itself, which the import has filled: a quarter of it
		// keeps the import's memory near the cache's size, and sorting
		// in runs of 16 MiB costs little more than in one.
		var cache int64
		if err := tx.QueryRowContext(ctx, `PRAGMA main.cache_size`).Scan(&cache); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `PRAGMA main.cache_size = `+strconv.FormatInt(cache/4, 10)); err != nil {
			return err
		}
		defer tx.ExecContext(context.WithoutCancel(ctx), `PRAGMA main.cache_size = `+strconv.FormatInt(cache, 10))
		for i, create := range creates {
			if _, err := tx.ExecContext(ctx, create); err != nil {
				return fmt.Errorf("rebuild index %s: %w", names[i], err)
			}
		}
		return nil
	}, nil
}

// validatedRow is one input row, read and validated.
type validatedRow struct {
	in    Input
	c     Certificate
	warns []FieldError
	errs  ValidationErrors
	err   error // from the row source: a *RowError, or a failure that ends the import
}

// validated reads and validates rows in a goroutine of its own, so that
// parsing and validation run on one core while the database writes on
// another. The channel closes after the source's last row or first
// failure; stop ends the goroutine early.
func validated(ctx context.Context, next func() (Input, error), schemes *Schemes) (<-chan validatedRow, func()) {
	out := make(chan validatedRow, 512)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for ctx.Err() == nil {
			in, err := next()
			if err == io.EOF {
				return
			}
			v := validatedRow{in: in, err: err}
			if err == nil {
				v.c, v.warns, v.errs = in.Validate(schemes)
			}
			select {
			case out <- v:
			case <-done:
				return
			}
			var rerr *RowError
			if err != nil && !errors.As(err, &rerr) {
				return
			}
		}
	}()
	return out, func() {
		close(done)
		for range out { // wait for the goroutine to finish with the source
		}
	}
}

// writer holds one transaction's prepared statements and caches.
type writer struct {
	s      *Store
	ctx    context.Context
	tx     *sql.Tx
	now    time.Time
	actor  Actor
	bodies map[string]bodyRef
	stmts  map[string]*sql.Stmt

	// An import's state: whether the registry held no certificate when it
	// began, the id the next new certificate takes, what the batch being
	// planned knows, and the writes it has planned but not yet made.
	fresh  bool
	nextID int64
	// fts, when set, writes the search indexes' rows of a fresh import
	// elsewhere (CreateByImport), beside this writer rather than after it.
	fts       *ftsBuilder
	seen      map[string]int          // number key → line, of earlier batches' rows
	batchSeen map[string]int          // number key → line, of this batch's rows
	stored    map[string]*Certificate // number key → stored certificate
	pending   pendingWrites
}

// bodyRef is a body as the writer found it: its id and registered name.
type bodyRef struct {
	id     int64
	nameZH string
}

// pendingWrites are the rows a batch adds, written together by
// writePending, in the order the events must have.
type pendingWrites struct {
	seen   []any   // key, line
	certs  [][]any // id, then certWritten
	names  []nameRow
	keys   []nameRow // id, number key: for the number-part index
	events [][]any   // eventWritten
}

// nameRow is a holder name to add to the search indexes.
type nameRow struct {
	id   int64
	name string
}

// importBatch is how many rows an import plans and writes together: large
// enough that a statement's own cost is small beside its rows', small
// enough that a statement stays far below SQLite's limit of parameters.
const importBatch = 256

// nameBatch is how many holder names an import adds to the search indexes
// in one statement.
const nameBatch = 4096

func (s *Store) newWriter(ctx context.Context, tx *sql.Tx, now time.Time, actor Actor) (*writer, error) {
	if actor.Name == "" || actor.Source == "" {
		return nil, fmt.Errorf("write: actor needs a name and a source")
	}
	return &writer{s: s, ctx: ctx, tx: tx, now: now, actor: actor, bodies: map[string]bodyRef{}, stmts: map[string]*sql.Stmt{}}, nil
}

func (w *writer) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

func (w *writer) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

func (w *writer) exec(q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

// body resolves an approval number to a body id, creating the body when
// allowed and named.
func (w *writer) body(approval, name string, create bool) (bodyRef, *FieldError, error) {
	if b, ok := w.bodies[approval]; ok {
		return b, nil, nil
	}
	b := bodyRef{nameZH: name}
	var disabled int
	st, err := w.stmt(`SELECT id, name_zh, disabled FROM bodies WHERE approval = ?`)
	if err != nil {
		return b, nil, err
	}
	err = st.QueryRowContext(w.ctx, approval).Scan(&b.id, &b.nameZH, &disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if !create || name == "" {
			fe := fieldErr("body_approval", "registry.unknown_body_in_row", approval)
			return b, &fe, nil
		}
		// The body's event must follow the events of the rows before.
		if err := w.writePending(false, false); err != nil {
			return b, nil, err
		}
		b.id, err = w.insertBody(Body{Approval: approval, NameZH: name})
		if err != nil {
			return b, nil, err
		}
	case err != nil:
		return b, nil, err
	case disabled != 0:
		fe := fieldErr("body_approval", "registry.certification_body_disabled_cannot", approval)
		return b, &fe, nil
	}
	w.bodies[approval] = b
	return b, nil, nil
}

func (w *writer) insertBody(b Body) (int64, error) {
	r, err := w.exec(`INSERT INTO bodies(approval, name_zh, name_en, website, province, city, contact, created) VALUES (?,?,?,?,?,?,?,?)`,
		b.Approval, b.NameZH, b.NameEN, b.Website, b.Province, b.City, b.Contact, fmtTime(w.now))
	if err != nil {
		return 0, fmt.Errorf("add body %s: %w", b.Approval, err)
	}
	id, _ := r.LastInsertId()
	changes := []Change{{Field: "approval", After: b.Approval}, {Field: "name_zh", After: b.NameZH}}
	if err := w.event(0, id, "body.created", time.Time{}, "", changes, ""); err != nil {
		return 0, err
	}
	return id, nil
}

// put creates or updates one validated certificate. A *FieldError is a
// problem with the row; an error is a failure of the database.
func (w *writer) put(in Input, c *Certificate, createBodies bool) (ImportItem, *FieldError, error) {
	item := ImportItem{Number: c.Number}
	body, fe, err := w.body(c.BodyApproval, c.BodyNameZH, createBodies)
	if fe != nil || err != nil {
		return item, fe, err
	}
	if w.actor.BodyID != 0 && body.id != w.actor.BodyID {
		fe := fieldErr("body_approval", "registry.you_can_publish_only", c.BodyApproval)
		return item, &fe, nil
	}
	// The record (and the event's snapshot of it) names the body as
	// registered, not as the row typed it, or not at all: the snapshot must
	// be what the pages will show (rowaudit.go).
	c.BodyID, c.BodyNameZH = body.id, body.nameZH
	if c.IssueDate.After(Today(w.now)) {
		fe := fieldErr("issue_date", "registry.issue_date_future", c.IssueDate.Format(DateLayout))
		return item, &fe, nil
	}
	if !c.StatusDate.IsZero() && (c.StatusDate.After(Today(w.now)) || c.StatusDate.Before(c.IssueDate)) {
		fe := fieldErr("status_date", "registry.status_date_must_between", c.StatusDate.Format(DateLayout))
		return item, &fe, nil
	}
	key := NumberKey(c.Number)
	first, dup := w.seen[key]
	if !dup {
		first, dup = w.batchSeen[key]
	}
	if dup {
		fe := fieldErr("number", "registry.certificate_number_appears_twice", c.Number, first)
		return item, &fe, nil
	}
	w.batchSeen[key] = in.Line
	w.pending.seen = append(w.pending.seen, key, in.Line)

	old := w.stored[key]
	if old == nil {
		item.Action = "create"
		w.create(c, strings.TrimSpace(in.StatusReason))
		return item, nil, nil
	}
	if old.BodyID != body.id {
		fe := fieldErr("number", "registry.number_taken_other_body", c.Number, old.BodyApproval)
		return item, &fe, nil
	}
	if old.HolderCreditCode != c.HolderCreditCode {
		fe := fieldErr("holder_credit_code", "registry.number_taken_other_holder", c.Number, old.HolderCreditCode)
		return item, &fe, nil
	}
	c.ID = old.ID
	changes := diffCertificates(w.s.schemes, old, c)
	if len(changes) == 0 {
		item.Action = "unchanged"
		return item, nil, nil
	}
	if c.Status != old.Status && !CanMove(old.Status, c.Status) {
		fe := fieldErr("status", "registry.status_cannot_move", old.Status, c.Status)
		return item, &fe, nil
	}
	if c.Status != old.Status && strings.TrimSpace(in.StatusReason) == "" && c.Status != StatusValid {
		fe := fieldErr("status_reason", "registry.status_reason_required", c.Status)
		return item, &fe, nil
	}
	item.Action = "update"
	item.Changes = changes
	return item, nil, w.update(old, c, changes, strings.TrimSpace(in.StatusReason))
}

// create plans the writes of a new certificate: its row, its names in
// the search indexes and its events.
func (w *writer) create(c *Certificate, reason string) {
	today := Today(w.now)
	switch {
	case !c.StatusDate.IsZero():
	case c.Status == StatusValid:
		c.StatusDate = c.IssueDate
	default:
		c.StatusDate = today
	}
	c.CreatedAt, c.UpdatedAt, c.Version = w.now, w.now, 1
	c.ID = w.nextID
	w.nextID++
	w.pending.certs = append(w.pending.certs, append([]any{c.ID}, certArgs(c)...))
	w.pending.names = append(w.pending.names, nameRow{c.ID, c.HolderName})
	w.pending.keys = append(w.pending.keys, nameRow{c.ID, NumberKey(c.Number)})
	snap := w.snapshot(c)
	w.queueEvent(c.ID, c.BodyID, EventIssued, c.IssueDate, "", nil, snap)
	if c.Status != StatusValid {
		ch := []Change{{Field: "status", Before: string(StatusValid), After: string(c.Status)}}
		w.queueEvent(c.ID, c.BodyID, eventForMove(c.Status), c.StatusDate, reason, ch, snap)
	}
}

// plannedRow is what plan decided for one row: an item, or the row's
// problem.
type plannedRow struct {
	item ImportItem
	fe   *FieldError
}

// plan decides what each row of a batch does and queues its writes. It
// first reads, in one statement each, which of the batch's numbers earlier
// rows of the import used and which the registry holds; then it checks
// each row in order. Rows that failed validation get a zero plan.
func (w *writer) plan(batch []validatedRow, createBodies bool) ([]plannedRow, error) {
	out := make([]plannedRow, len(batch))
	keys := make([]string, 0, len(batch))
	for i := range batch {
		if v := &batch[i]; v.err == nil && len(v.errs) == 0 {
			keys = append(keys, NumberKey(v.c.Number))
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	w.seen, w.batchSeen, w.stored = map[string]int{}, make(map[string]int, len(keys)), map[string]*Certificate{}
	st, err := w.stmt(`SELECT key, line FROM temp.import_seen WHERE key IN (SELECT value FROM json_each(?))`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(w.ctx, string(list))
	if err != nil {
		return nil, fmt.Errorf("import: earlier rows: %w", err)
	}
	for rows.Next() {
		var key string
		var line int
		if err := rows.Scan(&key, &line); err != nil {
			rows.Close()
			return nil, err
		}
		w.seen[key] = line
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !w.fresh {
		st, err := w.stmt(`SELECT ` + certColumns + certFrom + ` WHERE c.number_key IN (SELECT value FROM json_each(?))`)
		if err != nil {
			return nil, err
		}
		rows, err := st.QueryContext(w.ctx, string(list))
		if err != nil {
			return nil, fmt.Errorf("import: stored certificates: %w", err)
		}
		for rows.Next() {
			c, err := scanCertificate(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			w.stored[NumberKey(c.Number)] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for i := range batch {
		v := &batch[i]
		if v.err != nil || len(v.errs) > 0 {
			continue
		}
		item, fe, err := w.put(v.in, &v.c, createBodies)
		if err != nil {
			return nil, err
		}
		out[i] = plannedRow{item, fe}
	}
	return out, nil
}

// writePending makes the writes planned so far, a statement for many rows.
// final writes the search index's rows too, which otherwise wait for
// nameBatch of them. With skip (a dry run, or an import that already has a bad row and will
// be rolled back) only the numbers seen are kept, to find repeats later.
func (w *writer) writePending(skip, final bool) error {
	p := &w.pending
	defer func() {
		p.seen, p.certs, p.events = p.seen[:0], p.certs[:0], p.events[:0]
	}()
	if err := w.insertValues(`INSERT INTO temp.import_seen(key, line)`, 2, p.seen); err != nil {
		return fmt.Errorf("import: numbers seen: %w", err)
	}
	if skip {
		p.names, p.keys = p.names[:0], p.keys[:0]
		return nil
	}
	if err := w.insertValues(`INSERT INTO certificates(id, `+strings.Join(certWritten, ", ")+`, version)`, len(certWritten)+1, flatten(p.certs), "1"); err != nil {
		return fmt.Errorf("import: insert certificates: %w", err)
	}
	// The names and numbers wait for many batches (see indexNames), or
	// the end.
	if len(p.names) >= nameBatch || len(p.keys) >= nameBatch || final {
		if w.fts != nil {
			if err := w.fts.send(p.names, p.keys); err != nil {
				return err
			}
		} else {
			if err := indexNames(w.exec, p.names); err != nil {
				return err
			}
			if err := indexNumbers(w.exec, p.keys); err != nil {
				return err
			}
		}
		p.names, p.keys = p.names[:0], p.keys[:0]
	}
	if err := w.insertValues(`INSERT INTO events(`+eventWritten+`)`, eventWidth, flatten(p.events)); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	return nil
}

func flatten(rows [][]any) []any {
	if len(rows) == 0 {
		return nil
	}
	out := make([]any, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// maxParams bounds the parameters of one multi-row statement, far below
// SQLite's limit of 32,766.
const maxParams = 8192

// insertValues runs head VALUES (…), (…) over args, width values a row,
// as few statements as maxParams allows; consts are literal values that
// end every row (the version a new certificate starts at).
func (w *writer) insertValues(head string, width int, args []any, consts ...string) error {
	per := maxParams / width
	for len(args) > 0 {
		n := min(len(args)/width, per)
		var q strings.Builder
		q.WriteString(head)
		q.WriteString(" VALUES ")
		row := "(" + strings.Repeat("?, ", width-1) + "?"
		for _, c := range consts {
			row += ", " + c
		}
		row += ")"
		for i := range n {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(row)
		}
		if _, err := w.exec(q.String(), args[:n*width]...); err != nil {
			return err
		}
		args = args[n*width:]
	}
	return nil
}

// certWritten are the columns a write sets, in the order of certArgs: the
// columns with rules of their own, then the generic fields'.
var certWritten = func() []string {
	cols := []string{"number", "number_key", "holder_credit_code", "credit_code_warning", "scheme", "score", "level",
		"body_id", "status", "surveillance", "created_at", "updated_at"}
	for _, f := range genericFields {
		cols = append(cols, f.Name)
	}
	return cols
}()

// updateCertificate writes every column of a certificate; the version
// grows by one a change.
var updateCertificate = func() string {
	set := make([]string, len(certWritten))
	for i, col := range certWritten {
		set[i] = col + " = ?"
	}
	return `UPDATE certificates SET ` + strings.Join(set, ", ") + `, version = version + 1 WHERE id = ?`
}()

// certArgs are the values of certWritten for c.
func certArgs(c *Certificate) []any {
	surv, _ := json.Marshal(c.Surveillance)
	if c.Surveillance == nil {
		surv = []byte("[]")
	}
	var score any
	if c.HasScore {
		score = c.Score
	}
	args := make([]any, 0, len(certWritten)+1)
	args = append(args, c.Number, NumberKey(c.Number), c.HolderCreditCode, boolInt(c.CreditCodeWarning), c.SchemeCode, score, c.LevelCode,
		c.BodyID, string(c.Status), string(surv), fmtTime(c.CreatedAt), fmtTime(c.UpdatedAt))
	for _, f := range genericFields {
		switch {
		case f.text != nil:
			args = append(args, *f.text(c))
		case f.date != nil:
			args = append(args, fmtDate(*f.date(c)))
		case f.num != nil:
			var v any
			if x, has := f.num(c); *has {
				v = *x
			}
			args = append(args, v)
		}
	}
	return args
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (w *writer) update(old, c *Certificate, changes []Change, reason string) error {
	today := Today(w.now)
	c.CreatedAt, c.UpdatedAt, c.Version = old.CreatedAt, w.now, old.Version+1
	newDate := c.StatusDate
	c.StatusDate = old.StatusDate
	if c.Status != old.Status {
		c.StatusDate = today
		if !newDate.IsZero() {
			c.StatusDate = newDate
		}
	}
	args := append(certArgs(c), c.ID)
	if _, err := w.exec(updateCertificate, args...); err != nil {
		return fmt.Errorf("update %s: %w", c.Number, err)
	}
	if old.HolderName != c.HolderName {
		if _, err := w.exec(`INSERT INTO holder_fts(holder_fts, rowid, holder_name) VALUES ('delete', ?, ?)`, c.ID, old.HolderName); err != nil {
			return err
		}
		if _, err := w.exec(`DELETE FROM holder_bigram_fts WHERE rowid = ?`, c.ID); err != nil {
			return err
		}
		w.pending.names = append(w.pending.names, nameRow{c.ID, c.HolderName})
	}
	// An import finds the stored certificate by its number key, so the key
	// does not change today; the index follows it if a write ever does.
	if NumberKey(old.Number) != NumberKey(c.Number) {
		if _, err := w.exec(`DELETE FROM number_fts WHERE rowid = ?`, c.ID); err != nil {
			return fmt.Errorf("update %s: number index: %w", c.Number, err)
		}
		w.pending.keys = append(w.pending.keys, nameRow{c.ID, NumberKey(c.Number)})
	}
	snap := w.snapshot(c)
	var fieldChanges, statusChange []Change
	for _, ch := range changes {
		if ch.Field == "status" {
			statusChange = append(statusChange, ch)
		} else {
			fieldChanges = append(fieldChanges, ch)
		}
	}
	if len(fieldChanges) > 0 {
		w.queueEvent(c.ID, c.BodyID, EventChanged, today, reason, fieldChanges, snap)
	}
	if len(statusChange) > 0 {
		w.queueEvent(c.ID, c.BodyID, eventForMove(c.Status), c.StatusDate, reason, statusChange, snap)
	}
	return nil
}

// indexNames adds holder names to both search indexes, one statement
// for all of them in each: the names travel as one JSON parameter. FTS5
// writes the rows a statement adds as a new segment of its index when the
// statement ends, so few large statements also keep the index's segments
// few and its merging cheap.
func indexNames(exec func(q string, args ...any) (sql.Result, error), rows []nameRow) error {
	if len(rows) == 0 {
		return nil
	}
	names := make([][2]any, len(rows))
	for i, r := range rows {
		names[i] = [2]any{r.id, r.name}
	}
	list, err := json.Marshal(names)
	if err != nil {
		return err
	}
	if _, err := exec(`INSERT INTO holder_fts(rowid, holder_name) SELECT value->>0, value->>1 FROM json_each(?)`, string(list)); err != nil {
		return fmt.Errorf("index names: %w", err)
	}
	for i, r := range rows {
		names[i][1] = Bigrams(r.name)
	}
	if list, err = json.Marshal(names); err != nil {
		return err
	}
	if _, err := exec(`INSERT INTO holder_bigram_fts(rowid, bigrams) SELECT value->>0, value->>1 FROM json_each(?)`, string(list)); err != nil {
		return fmt.Errorf("index names: %w", err)
	}
	return nil
}

// indexNumbers adds number keys to the number-part index
// (migrations/0015_number_trigram.sql), less their first character, in
// one statement as indexNames does.
func indexNumbers(exec func(q string, args ...any) (sql.Result, error), rows []nameRow) error {
	if len(rows) == 0 {
		return nil
	}
	keys := make([][2]any, len(rows))
	for i, r := range rows {
		keys[i] = [2]any{r.id, r.name}
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	if _, err := exec(`INSERT INTO number_fts(rowid, tail) SELECT value->>0, substr(value->>1, 2) FROM json_each(?)`, string(list)); err != nil {
		return fmt.Errorf("index numbers: %w", err)
	}
	return nil
}

func (w *writer) snapshot(c *Certificate) string {
	b, _ := json.Marshal(c.Record(w.s.schemes))
	return string(b)
}

// eventWritten are the columns an event is written with, eventWidth
// their count, in the order of eventArgs.
const (
	eventWritten = `certificate_id, body_id, kind, effective_date, reason, actor, source, remote_addr, at, changes, snapshot`
	eventWidth   = 11
)

// eventArgs are the values of eventWritten for one event.
func (w *writer) eventArgs(certID, bodyID int64, kind string, effective time.Time, reason string, changes []Change, snapshot string) []any {
	chg := "[]"
	if len(changes) > 0 {
		b, _ := json.Marshal(changes)
		chg = string(b)
	}
	var cid, bid any
	if certID != 0 {
		cid = certID
	}
	if bodyID != 0 {
		bid = bodyID
	}
	return []any{cid, bid, kind, fmtDate(effective), reason, w.actor.Name, w.actor.Source, w.actor.RemoteAddr, fmtTime(w.now), chg, snapshot}
}

// event appends one event. The events table refuses updates and deletes.
func (w *writer) event(certID, bodyID int64, kind string, effective time.Time, reason string, changes []Change, snapshot string) error {
	_, err := w.exec(`INSERT INTO events(`+eventWritten+`) VALUES (?,?,?,?,?,?,?,?,?,?,?)`, w.eventArgs(certID, bodyID, kind, effective, reason, changes, snapshot)...)
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// queueEvent plans an event that writePending appends, after the events
// planned before it.
func (w *writer) queueEvent(certID, bodyID int64, kind string, effective time.Time, reason string, changes []Change, snapshot string) {
	w.pending.events = append(w.pending.events, w.eventArgs(certID, bodyID, kind, effective, reason, changes, snapshot))
}

// auditEvent appends, in tx, an event that concerns no certificate (a
// user added, a key revoked): the operator's audit trail.
func (s *Store) auditEvent(ctx context.Context, tx *sql.Tx, now time.Time, actor Actor, bodyID int64, kind string, changes []Change) error {
	w, err := s.newWriter(ctx, tx, now, actor)
	if err != nil {
		return err
	}
	defer w.close()
	return w.event(0, bodyID, kind, time.Time{}, "", changes, "")
}

// diffCertificates lists the fields that differ between old and new, as
// people read them, in the order of the table: every field it marks
// History.
func diffCertificates(schemes *Schemes, old, c *Certificate) []Change {
	a, b := old.Record(schemes), c.Record(schemes)
	var out []Change
	for i := range Fields {
		f := &Fields[i]
		if !f.History {
			continue
		}
		if x, y := f.Show(&a), f.Show(&b); x != y {
			out = append(out, Change{Field: f.Name, Before: x, After: y})
		}
	}
	return out
}

// Bigrams returns the overlapping two-character pieces of the letters and
// digits of s, separated by spaces, lower-cased: the text the bigram index
// holds for a holder name.
func Bigrams(s string) string {
	var b strings.Builder
	var prev rune
	for _, r := range strings.ToLower(s) {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			prev = 0
			continue
		}
		if prev != 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(prev)
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// StatusChange is a request to move a certificate to another status.
type StatusChange struct {
	Number    string
	To        Status
	Effective time.Time // the day the move takes effect; zero means today
	Reason    string
}

// ChangeStatus moves a certificate to another status, with an effective date
// and a reason kept in its history.
func (s *Store) ChangeStatus(ctx context.Context, actor Actor, ch StatusChange) (*Certificate, error) {
	var out *Certificate
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		w, err := s.newWriter(ctx, tx, now, actor)
		if err != nil {
			return err
		}
		defer w.close()
		c, err := w.load(ch.Number)
		if err != nil {
			return err
		}
		reason, fe := cleanText("reason", "noun.reason", ch.Reason, maxReason, true)
		if fe != nil {
			return ValidationErrors{*fe}
		}
		if c.Status == ch.To {
			return Errorf(ECONFLICT, "status", "registry.status_already", c.Number, ch.To)
		}
		if !CanMove(c.Status, ch.To) {
			return Errorf(ECONFLICT, "status", "registry.status_cannot_move", c.Status, ch.To)
		}
		eff := ch.Effective
		today := Today(now)
		if eff.IsZero() {
			eff = today
		}
		if eff.After(today) {
			return ValidationErrors{fieldErr("effective_date", "registry.effective_date_cannot_future", eff.Format(DateLayout))}
		}
		if eff.Before(c.IssueDate) {
			return ValidationErrors{fieldErr("effective_date", "registry.effective_date_cannot_before", eff.Format(DateLayout), c.IssueDate.Format(DateLayout))}
		}
		from := c.Status
		c.Status, c.StatusDate, c.UpdatedAt, c.Version = ch.To, eff, now, c.Version+1
		if _, err := w.exec(`UPDATE certificates SET status = ?, status_date = ?, updated_at = ?, version = version + 1 WHERE id = ?`, string(c.Status), fmtDate(eff), fmtTime(now), c.ID); err != nil {
			return err
		}
		changes := []Change{{Field: "status", Before: string(from), After: string(ch.To)}}
		if err := w.event(c.ID, c.BodyID, eventForMove(ch.To), eff, reason, changes, w.snapshot(c)); err != nil {
			return err
		}
		out = c
		return bumpGeneration(tx)
	})
	return out, err
}

// AddSurveillance records a surveillance audit on a certificate.
func (s *Store) AddSurveillance(ctx context.Context, actor Actor, number string, a Surveillance) (*Certificate, error) {
	var out *Certificate
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		w, err := s.newWriter(ctx, tx, now, actor)
		if err != nil {
			return err
		}
		defer w.close()
		c, err := w.load(number)
		if err != nil {
			return err
		}
		if c.Status == StatusRevoked || c.Status == StatusWithdrawn {
			return Errorf(ECONFLICT, "status", "registry.no_audit_after_end", c.Number, c.Status)
		}
		if a.Result != "pass" && a.Result != "fail" {
			return ValidationErrors{fieldErr("result", "registry.audit_result_required")}
		}
		if a.Date.IsZero() || a.Date.After(Today(now)) || a.Date.Before(c.IssueDate) {
			return ValidationErrors{fieldErr("date", "registry.surveillance_audit_date_must")}
		}
		note, fe := cleanText("note", "noun.note", a.Note, maxReason, false)
		if fe != nil {
			return ValidationErrors{*fe}
		}
		a.Note = note
		before := FormatSurveillanceList(c.Surveillance)
		c.Surveillance = append(c.Surveillance, a)
		c.UpdatedAt, c.Version = now, c.Version+1
		surv, _ := json.Marshal(c.Surveillance)
		if _, err := w.exec(`UPDATE certificates SET surveillance = ?, updated_at = ?, version = version + 1 WHERE id = ?`, string(surv), fmtTime(now), c.ID); err != nil {
			return err
		}
		changes := []Change{{Field: "surveillance", Before: before, After: FormatSurveillanceList(c.Surveillance)}}
		if err := w.event(c.ID, c.BodyID, EventSurveillance, a.Date, a.Note, changes, w.snapshot(c)); err != nil {
			return err
		}
		out = c
		return bumpGeneration(tx)
	})
	return out, err
}

// load reads a certificate for a write and checks the actor may write it.
// Another body's certificate is reported as not found to a publisher, so
// that a publisher learns nothing about it.
func (w *writer) load(number string) (*Certificate, error) {
	n, fe := NormalizeNumber(number)
	if fe != nil {
		return nil, ValidationErrors{*fe}
	}
	c, err := scanCertificate(w.tx.QueryRowContext(w.ctx, `SELECT `+certColumns+certFrom+` WHERE c.number_key = ?`, NumberKey(n)))
	if errors.Is(err, sql.ErrNoRows) || err == nil && w.actor.BodyID != 0 && c.BodyID != w.actor.BodyID {
		return nil, notRegistered(n)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AddBody registers a certification body.
func (s *Store) AddBody(ctx context.Context, actor Actor, b Body) (*Body, error) {
	var errs ValidationErrors
	a, fe := NormalizeApproval(b.Approval)
	if fe != nil {
		errs = append(errs, *fe)
	}
	b.Approval = a
	for _, f := range []struct {
		p        *string
		field    string
		name     Key
		max      int
		required bool
	}{
		{&b.NameZH, "name_zh", "noun.body_name_zh", maxBodyName, true},
		{&b.NameEN, "name_en", "noun.body_name_en", maxBodyName, false},
		{&b.Website, "website", "noun.website", 200, false},
		{&b.Province, "province", "column.province", maxPlace, false},
		{&b.City, "city", "column.city", maxPlace, false},
		{&b.Contact, "contact", "noun.contact", 200, false},
	} {
		v, fe := cleanText(f.field, f.name, *f.p, f.max, f.required)
		if fe != nil {
			errs = append(errs, *fe)
		}
		*f.p = v
	}
	if b.Website != "" && !strings.HasPrefix(b.Website, "https://") && !strings.HasPrefix(b.Website, "http://") {
		errs = append(errs, fieldErr("website", "registry.website_must_start_https"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM bodies WHERE approval = ?`, b.Approval).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return Errorf(ECONFLICT, "approval", "registry.body_approval_number_already", b.Approval)
		}
		w, err := s.newWriter(ctx, tx, now, actor)
		if err != nil {
			return err
		}
		defer w.close()
		b.ID, err = w.insertBody(b)
		b.Created = now
		if err != nil {
			return err
		}
		return bumpGeneration(tx)
	})
	if err != nil {
		return nil, err
	}
	return &b, nil
}

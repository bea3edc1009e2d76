package registry

import (
	"context"
	"strings"
	"time"
)

// AuditFilter selects events for the operator's audit log. Zero fields do
// not filter.
type AuditFilter struct {
	BodyID   int64
	Kind     string // an event kind, or a prefix ending in "." ("user.")
	Actor    string // exact actor name
	Source   string // cli, console, api, import, demo
	Number   string // a certificate number
	Since    time.Time
	Until    time.Time
	BeforeID int64 // for paging: events older than this one
	Limit    int   // default 100, at most 1000
}

// AuditEvents returns the events that match f, newest first, with who,
// which body, when, from where and what changed.
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter) ([]Event, error) {
	where := []string{"1"}
	var args []any
	if f.BodyID > 0 {
		where = append(where, "e.body_id = ?")
		args = append(args, f.BodyID)
	}
	if k := strings.TrimSpace(f.Kind); k != "" {
		if strings.HasSuffix(k, ".") {
			where = append(where, `e.kind LIKE ? ESCAPE '\'`)
			args = append(args, likeEscape(k)+"%")
		} else {
			where = append(where, "e.kind = ?")
			args = append(args, k)
		}
	}
	if a := strings.TrimSpace(f.Actor); a != "" {
		where = append(where, "e.actor = ?")
		args = append(args, a)
	}
	if src := strings.TrimSpace(f.Source); src != "" {
		where = append(where, "e.source = ?")
		args = append(args, src)
	}
	if n := strings.TrimSpace(f.Number); n != "" {
		where = append(where, "e.certificate_id = (SELECT id FROM certificates WHERE number_key = ?)")
		args = append(args, NumberKey(FoldWidth(n)))
	}
	if !f.Since.IsZero() {
		where = append(where, "e.at >= ?")
		args = append(args, fmtTime(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "e.at < ?")
		args = append(args, fmtTime(f.Until))
	}
	if f.BeforeID > 0 {
		where = append(where, "e.id < ?")
		args = append(args, f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	args = append(args, f.Limit)
	return s.queryEvents(ctx, "WHERE "+strings.Join(where, " AND ")+" ORDER BY e.id DESC LIMIT ?", args...)
}

package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PendingUpload is a bulk upload kept between its preview and its
// confirmation.
type PendingUpload struct {
	Token   string // random: the id in the confirmation's URL
	UserID  int64
	BodyID  int64
	Name    string
	SHA256  []byte
	Content []byte
	Created time.Time
}

// errNoUpload is the error of a confirmation whose upload is gone.
var errNoUpload = Errorf(ENOTFOUND, "", "console.no_such_upload_already")

// KeepUpload stores an upload awaiting confirmation. Uploads older than ttl
// are deleted, and the oldest beyond max, so that the table stays small.
func (s *Store) KeepUpload(ctx context.Context, p PendingUpload, ttl time.Duration, max int) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending_uploads WHERE created < ?`, fmtTime(now.Add(-ttl))); err != nil {
			return fmt.Errorf("keep upload: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending_uploads WHERE id NOT IN (SELECT id FROM pending_uploads ORDER BY id DESC LIMIT ?)`, max-1); err != nil {
			return fmt.Errorf("keep upload: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pending_uploads(token, user_id, body_id, name, sha256, content, created) VALUES (?,?,?,?,?,?,?)`,
			p.Token, p.UserID, p.BodyID, p.Name, p.SHA256, p.Content, fmtTime(now)); err != nil {
			return fmt.Errorf("keep upload: %w", err)
		}
		return nil
	})
}

// TakeUpload removes and returns the user's upload with token, so that it
// is imported once; ENOTFOUND when there is none (confirmed already,
// another user's, swept away) or when it is older than ttl, with a message
// that says so.
func (s *Store) TakeUpload(ctx context.Context, token string, userID, bodyID int64, ttl time.Duration) (*PendingUpload, error) {
	var p PendingUpload
	expired := false
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var created string
		err := tx.QueryRowContext(ctx, `DELETE FROM pending_uploads WHERE token = ? AND user_id = ? AND body_id = ?
			RETURNING token, user_id, body_id, name, sha256, content, created`, token, userID, bodyID).
			Scan(&p.Token, &p.UserID, &p.BodyID, &p.Name, &p.SHA256, &p.Content, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoUpload
		}
		if err != nil {
			return fmt.Errorf("take upload: %w", err)
		}
		p.Created = parseTime(created)
		expired = now.Sub(p.Created) > ttl // deleted all the same
		return nil
	})
	if err != nil {
		return nil, err
	}
	if expired {
		return nil, Errorf(ENOTFOUND, "", "console.upload_expired", int(ttl.Minutes()))
	}
	return &p, nil
}

// PutBackUpload keeps an upload again, as it was, after a confirmation that
// did not import it (warnings not yet acknowledged).
func (s *Store) PutBackUpload(ctx context.Context, p *PendingUpload) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO pending_uploads(token, user_id, body_id, name, sha256, content, created) VALUES (?,?,?,?,?,?,?)`,
		p.Token, p.UserID, p.BodyID, p.Name, p.SHA256, p.Content, fmtTime(p.Created))
	if err != nil {
		return fmt.Errorf("keep upload: %w", err)
	}
	return nil
}

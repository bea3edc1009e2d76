package registry

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MaxAPIKeyLife is the longest an API key may live.
const MaxAPIKeyLife = 2 * 366 * 24 * time.Hour

// APIKey is a body's API key, without the key itself: only its hash is kept.
type APIKey struct {
	ID           int64
	Prefix       string // the key's first characters, to tell keys apart
	BodyID       int64
	BodyApproval string
	Name         string
	CreatedBy    string
	Created      time.Time
	Expires      time.Time
	Revoked      time.Time // zero while the key is live
	LastUsed     time.Time // zero if never used
}

// Live reports whether the key may be used at now.
func (k *APIKey) Live(now time.Time) bool { return k.Revoked.IsZero() && now.Before(k.Expires) }

// Actor is the actor of the writes made with the key from addr.
func (k *APIKey) Actor(addr string) Actor {
	return Actor{Name: "apikey:" + k.Prefix + " (" + k.Name + ")", BodyID: k.BodyID, Source: "api", RemoteAddr: addr}
}

const apiKeyColumns = `SELECT k.id, k.prefix, k.body_id, b.approval, k.name, k.created_by, k.created, k.expires, k.revoked, k.last_used
	FROM api_keys k JOIN bodies b ON b.id = k.body_id `

func scanAPIKey(r scanner) (*APIKey, error) {
	var k APIKey
	var created, expires, revoked, used string
	if err := r.Scan(&k.ID, &k.Prefix, &k.BodyID, &k.BodyApproval, &k.Name, &k.CreatedBy, &created, &expires, &revoked, &used); err != nil {
		return nil, err
	}
	k.Created, k.Expires = parseTime(created), parseTime(expires)
	if revoked != "" {
		k.Revoked = parseTime(revoked)
	}
	if used != "" {
		k.LastUsed = parseTime(used)
	}
	return &k, nil
}

// AddAPIKey stores a new key of the body with the approval number, living
// until expires: only its SHA-256 hash and its first characters (prefix),
// which tell keys apart. Package accounts makes the key itself.
func (s *Store) AddAPIKey(ctx context.Context, actor Actor, approval, name string, expires time.Time, keyHash, prefix string) (*APIKey, error) {
	name, fe := cleanText("name", "noun.key_name", name, 100, true)
	if fe != nil {
		return nil, ValidationErrors{*fe}
	}
	b, err := s.Body(ctx, approval)
	if err != nil {
		return nil, err
	}
	if actor.BodyID != 0 && actor.BodyID != b.ID {
		return nil, Errorf(EFORBIDDEN, "body", "registry.you_can_create_api")
	}
	if b.Disabled {
		return nil, Errorf(ECONFLICT, "body", "registry.certification_body_disabled", b.Approval)
	}
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if !expires.After(now) || expires.Sub(now) > MaxAPIKeyLife {
			return ValidationErrors{fieldErr("expires", "registry.expiry_must_after_today")}
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO api_keys(key_hash, prefix, body_id, name, created_by, created, expires) VALUES (?,?,?,?,?,?,?)`,
			keyHash, prefix, b.ID, name, actor.Name, fmtTime(now), fmtTime(expires))
		if err != nil {
			return fmt.Errorf("create api key: %w", err)
		}
		id, _ = r.LastInsertId()
		return s.auditEvent(ctx, tx, now, actor, b.ID, "apikey.created", []Change{
			{Field: "apikey", After: prefix + "…"}, {Field: "name", After: name}, {Field: "expires", After: expires.UTC().Format(DateLayout)}})
	})
	if err != nil {
		return nil, err
	}
	return s.apiKeyByID(ctx, id)
}

func (s *Store) apiKeyByID(ctx context.Context, id int64) (*APIKey, error) {
	k, err := scanAPIKey(s.db.QueryRowContext(ctx, apiKeyColumns+`WHERE k.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "apikey", "registry.no_such_api_key")
	}
	return k, err
}

// APIKeys returns the keys of one body (every key when bodyID is 0), newest
// first.
func (s *Store) APIKeys(ctx context.Context, bodyID int64) ([]*APIKey, error) {
	q, args := apiKeyColumns+`ORDER BY k.id DESC`, []any{}
	if bodyID > 0 {
		q, args = apiKeyColumns+`WHERE k.body_id = ? ORDER BY k.id DESC`, []any{bodyID}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("api keys: %w", err)
	}
	defer rows.Close()
	var out []*APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes key id at once. A publisher (actor.BodyID != 0) can
// revoke only the body's own keys; another body's key is not found.
func (s *Store) RevokeAPIKey(ctx context.Context, actor Actor, id int64) error {
	k, err := s.apiKeyByID(ctx, id)
	if err != nil {
		return err
	}
	if actor.BodyID != 0 && actor.BodyID != k.BodyID {
		return Errorf(ENOTFOUND, "apikey", "registry.no_such_api_key")
	}
	if !k.Revoked.IsZero() {
		return Errorf(ECONFLICT, "apikey", "registry.api_key_already_revoked")
	}
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked = ? WHERE id = ?`, fmtTime(now), id); err != nil {
			return err
		}
		return s.auditEvent(ctx, tx, now, actor, k.BodyID, "apikey.revoked", []Change{{Field: "apikey", Before: k.Prefix + "…", After: k.Prefix + "…"}, {Field: "revoked", Before: "false", After: "true"}})
	})
}

// APIKeyByHash returns the key whose SHA-256 hash is keyHash, unless its
// body is disabled; ENOTFOUND otherwise. Whether it is live is the
// caller's to check (APIKey.Live).
func (s *Store) APIKeyByHash(ctx context.Context, keyHash string) (*APIKey, error) {
	var stored string
	var bodyDisabled bool
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT k.id, k.key_hash, b.disabled FROM api_keys k JOIN bodies b ON b.id = k.body_id WHERE k.key_hash = ?`, keyHash).Scan(&id, &stored, &bodyDisabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "apikey", "registry.no_such_api_key")
	}
	if err != nil {
		return nil, fmt.Errorf("api key: %w", err)
	}
	// The lookup found the row by its hash; comparing again in constant
	// time costs nothing and does not rely on how the index compares.
	if subtle.ConstantTimeCompare([]byte(stored), []byte(keyHash)) != 1 || bodyDisabled {
		return nil, Errorf(ENOTFOUND, "apikey", "registry.no_such_api_key")
	}
	return s.apiKeyByID(ctx, id)
}

// TouchAPIKey records now as the key's last use.
func (s *Store) TouchAPIKey(ctx context.Context, id int64, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE api_keys SET last_used = ? WHERE id = ?`, fmtTime(now), id); err != nil {
		return fmt.Errorf("api key: %w", err)
	}
	return nil
}

// IdempotentResponse is a stored response to a request made with an
// Idempotency-Key.
type IdempotentResponse struct {
	RequestHash string
	Status      int
	Body        []byte
}

// IdempotentLookup returns the response stored for key id's idempotency
// key, or nil.
func (s *Store) IdempotentLookup(ctx context.Context, keyID int64, idemKey string) (*IdempotentResponse, error) {
	var r IdempotentResponse
	err := s.db.QueryRowContext(ctx, `SELECT request_hash, status, response FROM api_idempotency WHERE key_id = ? AND idem_key = ?`, keyID, idemKey).
		Scan(&r.RequestHash, &r.Status, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency: %w", err)
	}
	return &r, nil
}

// IdempotentSave stores the response to a request. If another request with
// the same key got there first, its response is returned instead.
func (s *Store) IdempotentSave(ctx context.Context, keyID int64, idemKey string, r IdempotentResponse) (*IdempotentResponse, error) {
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_idempotency(key_id, idem_key, request_hash, status, response, created) VALUES (?,?,?,?,?,?)
			ON CONFLICT DO NOTHING`, keyID, idemKey, r.RequestHash, r.Status, r.Body, fmtTime(now))
		if err != nil {
			return err
		}
		// Keys are kept a day, as Stripe and the IETF draft suggest.
		_, err = tx.ExecContext(ctx, `DELETE FROM api_idempotency WHERE created < ?`, fmtTime(now.Add(-24*time.Hour)))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("idempotency: %w", err)
	}
	return s.IdempotentLookup(ctx, keyID, idemKey)
}

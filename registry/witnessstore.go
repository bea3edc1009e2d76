package registry

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Witnesses cosign the transparency log's checkpoints (package translog,
// c2sp.org/tlog-witness); their cosignatures are kept in
// translog_cosignatures, by tree size and root hash, since a cosignature
// covers the checkpoint's text and not the log's own signature line.

// Cosignature is a witness's signature on the checkpoint of a tree.
type Cosignature struct {
	Size       int64
	Root       [32]byte
	Witness    string // the witness's key name
	KeyHash    uint32 // its signed-note key hash
	Line       string // "— name base64", as the witness sent it
	CosignedAt time.Time
}

// AddCosignature keeps a witness's cosignature. The same witness and key
// cosigning the same tree again is kept once (the first one stays). It
// bumps the registry generation: pages say how many witnesses saw a
// certificate's entry.
func (s *Store) AddCosignature(ctx context.Context, c Cosignature) error {
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO translog_cosignatures (size, root, witness, key_hash, line, cosigned_at, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			c.Size, c.Root[:], c.Witness, int64(c.KeyHash), c.Line, fmtTime(c.CosignedAt), fmtTime(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return bumpGeneration(tx)
	})
	if err != nil {
		return fmt.Errorf("add cosignature of %s on tree %d: %w", c.Witness, c.Size, err)
	}
	return nil
}

// Cosignatures returns the cosignatures kept for the tree of size and
// root, oldest first.
func (s *Store) Cosignatures(ctx context.Context, size int64, root [32]byte) ([]Cosignature, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT witness, key_hash, line, cosigned_at FROM translog_cosignatures
		WHERE size = ? AND root = ? ORDER BY id`, size, root[:])
	if err != nil {
		return nil, fmt.Errorf("cosignatures of tree %d: %w", size, err)
	}
	defer rows.Close()
	var out []Cosignature
	for rows.Next() {
		c := Cosignature{Size: size, Root: root}
		var hash int64
		var at string
		if err := rows.Scan(&c.Witness, &hash, &c.Line, &at); err != nil {
			return nil, fmt.Errorf("cosignatures of tree %d: %w", size, err)
		}
		c.KeyHash, c.CosignedAt = uint32(hash), parseTime(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cosignatures of tree %d: %w", size, err)
	}
	return out, nil
}

// LatestCosignedSize returns the largest tree size a witness (by key name
// and hash) has cosigned for this registry, and false if none: where the
// next submission to it starts.
func (s *Store) LatestCosignedSize(ctx context.Context, witness string, keyHash uint32) (int64, bool, error) {
	var size *int64
	err := s.db.QueryRowContext(ctx, `SELECT max(size) FROM translog_cosignatures WHERE witness = ? AND key_hash = ?`,
		witness, int64(keyHash)).Scan(&size)
	if err != nil {
		return 0, false, fmt.Errorf("latest size cosigned by %s: %w", witness, err)
	}
	if size == nil {
		return 0, false, nil
	}
	return *size, true, nil
}

// Package signing holds the registry's Ed25519 signing keys (keys.json
// beside the database, rotated with their public halves kept) and the
// signed QR code of a certificate: its URL, its parsing, and the check of
// its signature against the certificate's claims, present and past.
package signing

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/certreg/certreg/registry"
)

// The registry signs the claims printed on each certificate (see Claims)
// with an Ed25519 key. Keys live in one file, keys.json, in a directory of
// their own next to the database. Only the current key keeps its private
// half; rotation retires it, keeping its public half so that QR codes
// printed under it still verify.

// keyFileName is the file in the keys directory that holds the key ring.
const keyFileName = "keys.json"

// KeyIDBytes is how many leading bytes of SHA-256(public key) make a key id.
const KeyIDBytes = 3

// b32 is RFC 4648 base32 without padding: upper-case letters and digits 2-7,
// all in the QR code's alphanumeric set.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Key is one key of the ring.
type Key struct {
	ID      string             // base32 of the first KeyIDBytes bytes of SHA-256(Public)
	Public  ed25519.PublicKey  //
	private ed25519.PrivateKey // nil once retired
	Created time.Time
	Retired time.Time // zero while current
}

// Current reports whether the key is the one that signs new QR codes.
func (k *Key) Current() bool { return k.Retired.IsZero() && k.private != nil }

// KeyID returns the key id of a public key.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return b32.EncodeToString(h[:KeyIDBytes])
}

// KeyRing is the registry's signing keys: one current, any number retired.
// It is safe for concurrent use.
type KeyRing struct {
	mu     sync.RWMutex
	dir    string // "" for a ring that is not stored
	memory bool   // a throwaway ring: Rotate does not save it
	keys   []*Key
	now    func() time.Time
}

// storedKey is a key as kept in keys.json.
type storedKey struct {
	ID      string `json:"id"`
	Public  string `json:"public_key"`             // base64 of the 32-byte public key
	Seed    string `json:"private_seed,omitempty"` // base64 of the 32-byte seed; only for the current key
	Created string `json:"created"`
	Retired string `json:"retired,omitempty"`
}

type storedRing struct {
	Format string      `json:"format"`
	Keys   []storedKey `json:"keys"`
}

const keyRingFormat = "certreg-signing-keys/1"

// KeysDir is the default keys directory for the database at dbPath: a
// directory named "keys" beside it.
func KeysDir(dbPath string) string { return filepath.Join(filepath.Dir(dbPath), "keys") }

// OpenKeys reads the key ring in dir, creating the directory (mode 0700)
// and a first key (file mode 0600) if there is none yet.
func OpenKeys(dir string) (*KeyRing, error) {
	kr, err := LoadKeys(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create keys directory: %w", err)
		}
		kr = &KeyRing{dir: dir, now: time.Now}
		if _, err := kr.Rotate(); err != nil {
			return nil, err
		}
		return kr, nil
	}
	return kr, err
}

// NewMemoryKeys returns a ring with one fresh key that is kept only in
// memory: for tests and previews, never for QR codes that get printed.
func NewMemoryKeys() *KeyRing {
	kr := &KeyRing{memory: true, now: time.Now}
	if _, err := kr.Rotate(); err != nil {
		panic(err) // only the system's random source can fail here
	}
	return kr
}

// LoadKeys reads the key ring in dir; the error wraps fs.ErrNotExist when
// there is none.
func LoadKeys(dir string) (*KeyRing, error) {
	path := filepath.Join(dir, keyFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("read keys: %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	var sr storedRing
	if err := json.Unmarshal(b, &sr); err != nil {
		return nil, fmt.Errorf("read keys %s: %w", path, err)
	}
	if sr.Format != keyRingFormat {
		return nil, fmt.Errorf("read keys %s: unknown format %q", path, sr.Format)
	}
	kr := &KeyRing{dir: dir, now: time.Now}
	for _, s := range sr.Keys {
		k, err := s.key()
		if err != nil {
			return nil, fmt.Errorf("read keys %s: %w", path, err)
		}
		kr.keys = append(kr.keys, k)
	}
	if kr.current() == nil {
		return nil, fmt.Errorf("read keys %s: no current key with its private half", path)
	}
	return kr, nil
}

func (s storedKey) key() (*Key, error) {
	pub, err := base64.StdEncoding.DecodeString(s.Public)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("key %s: bad public key", s.ID)
	}
	k := &Key{ID: KeyID(pub), Public: pub}
	if k.ID != s.ID {
		return nil, fmt.Errorf("key %s: id does not match its public key (%s)", s.ID, k.ID)
	}
	if s.Seed != "" {
		seed, err := base64.StdEncoding.DecodeString(s.Seed)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("key %s: bad private seed", s.ID)
		}
		k.private = ed25519.NewKeyFromSeed(seed)
		if !k.private.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(pub)) {
			return nil, fmt.Errorf("key %s: private seed does not match the public key", s.ID)
		}
	}
	k.Created, _ = time.Parse(time.RFC3339, s.Created)
	if s.Retired != "" {
		k.Retired, _ = time.Parse(time.RFC3339, s.Retired)
	}
	return k, nil
}

// current returns the signing key, or nil. The caller holds mu.
func (kr *KeyRing) current() *Key {
	for i := len(kr.keys) - 1; i >= 0; i-- {
		if kr.keys[i].Current() {
			return kr.keys[i]
		}
	}
	return nil
}

// Current returns the key that signs new QR codes.
func (kr *KeyRing) Current() *Key {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.current()
}

// Keys returns every key, oldest first.
func (kr *KeyRing) Keys() []*Key {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return append([]*Key(nil), kr.keys...)
}

// Key returns the key with id, current or retired.
func (kr *KeyRing) Key(id string) (*Key, bool) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	for _, k := range kr.keys {
		if k.ID == id {
			return k, true
		}
	}
	return nil, false
}

// Sign signs msg with the current key and returns the key's id and the
// signature.
func (kr *KeyRing) Sign(msg []byte) (keyID string, sig []byte, err error) {
	k := kr.Current()
	if k == nil {
		return "", nil, registry.Errorf(registry.EINTERNAL, "", "qr.no_signing_key")
	}
	return k.ID, ed25519.Sign(k.private, msg), nil
}

// DerivedKey returns a secret derived from the current signing key for
// label, or nil when no key can sign. It authenticates what the registry
// derives and keeps beside its records (stored QR symbols): whoever can
// write the database file but does not hold the key cannot plant data that
// the registry would then show as its own. A new key derives new secrets.
func (kr *KeyRing) DerivedKey(label string) []byte {
	k := kr.Current()
	if k == nil {
		return nil
	}
	m := hmac.New(sha256.New, k.private.Seed())
	m.Write([]byte("certreg derived key\n" + label))
	return m.Sum(nil)
}

// Rotate creates a new current key and retires the previous one, whose
// private half is discarded: it never signs again, while its public half
// keeps verifying the QR codes it signed. The ring is saved before Rotate
// returns.
func (kr *KeyRing) Rotate() (*Key, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	now := kr.now().UTC().Truncate(time.Second)
	var k *Key
	for {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate key: %w", err)
		}
		k = &Key{ID: KeyID(pub), Public: pub, private: priv, Created: now}
		if !kr.hasID(k.ID) { // ids are short: never reuse one
			break
		}
	}
	old := kr.keys
	for _, o := range kr.keys {
		if o.Retired.IsZero() {
			o.Retired = now
		}
	}
	kr.keys = append(kr.keys, k)
	if err := kr.save(); err != nil {
		kr.keys = old
		return nil, err
	}
	// Only once the new ring is safely stored do the retired keys lose
	// their private halves in memory too.
	for _, o := range kr.keys[:len(kr.keys)-1] {
		o.private = nil
	}
	return k, nil
}

func (kr *KeyRing) hasID(id string) bool {
	for _, k := range kr.keys {
		if k.ID == id {
			return true
		}
	}
	return false
}

// save writes the ring atomically (temporary file, then rename) with mode
// 0600. Retired keys are written without their private halves. The caller
// holds mu.
func (kr *KeyRing) save() error {
	if kr.memory {
		return nil
	}
	if kr.dir == "" {
		return fmt.Errorf("save keys: this key ring has no directory")
	}
	sr := storedRing{Format: keyRingFormat}
	for _, k := range kr.keys {
		s := storedKey{ID: k.ID, Public: base64.StdEncoding.EncodeToString(k.Public), Created: k.Created.Format(time.RFC3339)}
		if !k.Retired.IsZero() {
			s.Retired = k.Retired.Format(time.RFC3339)
		} else if k.private != nil {
			s.Seed = base64.StdEncoding.EncodeToString(k.private.Seed())
		}
		sr.Keys = append(sr.Keys, s)
	}
	b, err := json.MarshalIndent(sr, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(kr.dir, ".keys-*.tmp")
	if err != nil {
		return fmt.Errorf("save keys: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("save keys: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("save keys: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save keys: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save keys: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(kr.dir, keyFileName)); err != nil {
		return fmt.Errorf("save keys: %w", err)
	}
	return nil
}

// PublicKeySet is the published form of the ring (served at
// /.well-known/certreg-keys.json): what anyone needs to verify a QR code
// without the registry. It holds no secret.
type PublicKeySet struct {
	Format    string      `json:"format"`    // "certreg-keys/1"
	Algorithm string      `json:"algorithm"` // "Ed25519"
	Keys      []PublicKey `json:"keys"`
}

// PublicKey is one published key.
type PublicKey struct {
	ID        string `json:"id"`
	PublicKey string `json:"public_key"` // base64 (standard, padded) of the 32 raw bytes
	Status    string `json:"status"`     // "current" or "retired"
	Created   string `json:"created"`
	Retired   string `json:"retired,omitempty"`
}

// PublicKeySetFormat names the published key set's format.
const PublicKeySetFormat = "certreg-keys/1"

// PublicSet returns the ring's public keys, current first, then retired
// ones newest first.
func (kr *KeyRing) PublicSet() PublicKeySet {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	set := PublicKeySet{Format: PublicKeySetFormat, Algorithm: "Ed25519"}
	for _, k := range kr.keys {
		p := PublicKey{ID: k.ID, PublicKey: base64.StdEncoding.EncodeToString(k.Public), Status: "retired", Created: k.Created.Format(time.RFC3339)}
		if k.Retired.IsZero() {
			p.Status = "current"
		} else {
			p.Retired = k.Retired.Format(time.RFC3339)
		}
		set.Keys = append(set.Keys, p)
	}
	sort.SliceStable(set.Keys, func(i, j int) bool {
		if (set.Keys[i].Status == "current") != (set.Keys[j].Status == "current") {
			return set.Keys[i].Status == "current"
		}
		return set.Keys[i].Created > set.Keys[j].Created
	})
	return set
}

// ParsePublicKeySet reads a published key set into a ring that can verify
// but not sign: what `certreg verify` uses offline.
func ParsePublicKeySet(b []byte) (*KeyRing, error) {
	var set PublicKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("read public key set: %w", err)
	}
	if set.Format != PublicKeySetFormat || !strings.EqualFold(set.Algorithm, "Ed25519") {
		return nil, fmt.Errorf("read public key set: unknown format %q / algorithm %q", set.Format, set.Algorithm)
	}
	kr := &KeyRing{now: time.Now}
	for _, p := range set.Keys {
		k, err := storedKey{ID: p.ID, Public: p.PublicKey, Created: p.Created, Retired: p.Retired}.key()
		if err != nil {
			return nil, fmt.Errorf("read public key set: %w", err)
		}
		kr.keys = append(kr.keys, k)
	}
	if len(kr.keys) == 0 {
		return nil, fmt.Errorf("read public key set: no keys")
	}
	return kr, nil
}

package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/certreg/certreg/registry"
)

// Argon2id parameters: OWASP's minimum (19 MiB, 2 iterations, 1 lane).
// They are written into every hash, so that raising them later still
// verifies the old hashes.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MaxConcurrentHashes bounds the Argon2id computations running at once in
// the process. Each takes argonMemory (19 MiB): without a bound, a hundred
// sign-ins sent together would take gigabytes. Others wait their turn.
const MaxConcurrentHashes = 4

var (
	hashSlots = make(chan struct{}, MaxConcurrentHashes)
	// hashing and hashPeak count the hashes running now and at most, for
	// the tests that check the bound.
	hashing, hashPeak atomic.Int64
)

// argonKey is argon2.IDKey run in one of the hashSlots.
func argonKey(password, salt []byte, t, m uint32, p uint8, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	n := hashing.Add(1)
	defer hashing.Add(-1)
	for {
		peak := hashPeak.Load()
		if n <= peak || hashPeak.CompareAndSwap(peak, n) {
			break
		}
	}
	return argon2.IDKey(password, salt, t, m, p, keyLen)
}

// Password length limits, in characters. The upper bound keeps a login
// request from costing more than its hash.
const (
	MinPassword = 12
	MaxPassword = 256
)

// HashPassword returns the Argon2id hash of password as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argonKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC string encoded,
// comparing in constant time.
func CheckPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argonKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a login names no account, so that an
// unknown name costs as much time as a wrong password.
var dummyHash, _ = HashPassword("certreg dummy password for timing")

// checkPasswordRules returns the problem with a new password, if any.
func checkPasswordRules(pw string) *registry.FieldError {
	n := utf8.RuneCountInString(pw)
	var fe registry.FieldError
	switch {
	case !utf8.ValidString(pw):
		fe = registry.FieldError{Field: "password", Message: registry.Message{Key: "account.password_not_utf8"}}
	case n < MinPassword:
		fe = registry.FieldError{Field: "password", Message: registry.Message{Key: "account.password_too_short", Args: []any{MinPassword}}}
	case n > MaxPassword:
		fe = registry.FieldError{Field: "password", Message: registry.Message{Key: "account.password_too_long", Args: []any{MaxPassword}}}
	default:
		return nil
	}
	return &fe
}

// randomToken returns n random bytes as unpadded base64url.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenHash is the hex SHA-256 of a session token or an API key: what the
// database keeps instead of the secret.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// TOTP (RFC 6238 with RFC 4226's HOTP): SHA-1, 6 digits, 30-second steps,
// as every authenticator app implements it.
const (
	totpStep   = 30
	totpDigits = 6
)

var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a random 160-bit TOTP secret in base32, as
// authenticator apps take it.
func NewTOTPSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return totpEncoding.EncodeToString(b), nil
}

// TOTPURI is the otpauth:// URI an authenticator app reads (from a QR code).
func TOTPURI(issuer, account, secret string) string {
	return "otpauth://totp/" + urlPathEscape(issuer+":"+account) + "?secret=" + secret + "&issuer=" + urlPathEscape(issuer) + "&algorithm=SHA1&digits=6&period=30"
}

func urlPathEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == ':' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// hotp is RFC 4226's HOTP value of counter under key.
func hotp(key []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1_000_000)
}

// TOTPCode returns the code for secret at t.
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := totpEncoding.DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return "", fmt.Errorf("totp secret: %w", err)
	}
	return hotp(key, uint64(t.Unix())/totpStep), nil
}

// totpMatch returns the time step whose code is code, within one step of
// now either way (clock drift), or 0 when none matches. Steps at or before
// lastStep are refused, so that a code is accepted once.
func totpMatch(secret, code string, now time.Time, lastStep int64) int64 {
	key, err := totpEncoding.DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil || len(code) != totpDigits {
		return 0
	}
	cur := now.Unix() / totpStep
	var found int64
	for _, st := range []int64{cur - 1, cur, cur + 1} {
		if st <= lastStep {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(key, uint64(st))), []byte(code)) == 1 {
			found = st
		}
	}
	return found
}

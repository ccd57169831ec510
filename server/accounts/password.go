package accounts

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"runtime"
	"sync"

	"github.com/alexedwards/argon2id"
	"golang.org/x/text/unicode/norm"

	"github.com/hubtalks/hubtalks/server/domain"
)

// OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// hashSlots bounds concurrent hashes: each takes 19 MiB and a core for ~30 ms,
// and a burst of logins must not exhaust memory or starve other requests.
var hashSlots = make(chan struct{}, runtime.NumCPU())

// Passwords are compared after NFC normalisation, so the same password typed
// on two keyboards that compose accents differently still matches.
func normalise(pw string) string { return norm.NFC.String(pw) }

// newPasswordHash checks password as the new password of the account of
// email and name (field names it in the problem; v may hold findings
// already) and hashes it.
func newPasswordHash(v *domain.Checker, field, password, email, name string) (string, error) {
	CheckPassword(v, field, password, email, name)
	if err := v.Err(); err != nil {
		return "", err
	}
	return HashPassword(password)
}

// HashPassword hashes pw with argon2id.
func HashPassword(pw string) (string, error) {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	h, err := argon2id.CreateHash(normalise(pw), passwordParams)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

func checkPassword(pw, hash string) bool {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	ok, err := argon2id.ComparePasswordAndHash(normalise(pw), hash)
	return err == nil && ok
}

// dummyHash is compared against when the email is unknown, so that unknown
// emails and wrong passwords take the same time.
var dummyHash = sync.OnceValue(func() string {
	h, _ := argon2id.CreateHash("not a real password at all", passwordParams)
	return h
})

func newToken() (string, error) {
	b := make([]byte, 32) // 256 bits
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

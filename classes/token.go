package classes

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
)

// tokenBytes is the entropy of a token: 32 random bytes, 43 characters of
// base64url without padding.
const tokenBytes = 32

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// newToken returns a new random token and its hash.
func newToken() (token, hash string, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("drawing a token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

// hashToken is the stored form of a token: sha256, hex.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenMatches compares token's hash with hash in constant time.
func tokenMatches(token, hash string) bool {
	want, err := hex.DecodeString(hash)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], want) == 1
}

// wellFormed reports whether token looks like a token ckat issues; a
// malformed one is refused before any comparison.
func wellFormed(token string) bool { return tokenRE.MatchString(token) }

// AuthLearner returns the learner whose token this is. Any other token,
// the instructor's included, is ErrBadToken.
func (c *Class) AuthLearner(token string) (Learner, error) {
	if !wellFormed(token) {
		return Learner{}, ErrBadToken
	}
	found := -1
	for i, l := range c.Learners {
		// Compare with every learner, so the time taken does not say
		// which one matched.
		if tokenMatches(token, l.TokenHash) && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return Learner{}, ErrBadToken
	}
	return c.Learners[found], nil
}

// AuthInstructor checks the instructor's token.
func (c *Class) AuthInstructor(token string) error {
	if !wellFormed(token) || !tokenMatches(token, c.InstructorTokenHash) {
		return ErrBadToken
	}
	return nil
}

// AuthLearner finds the class and learner a learner's token belongs to, as
// a link /learn/TOKEN needs. Any other token is ErrBadToken.
func (s *Store) AuthLearner(token string) (*Class, Learner, error) {
	if !wellFormed(token) {
		return nil, Learner{}, ErrBadToken
	}
	all, err := s.List()
	if err != nil {
		return nil, Learner{}, err
	}
	for _, c := range all {
		if l, err := c.AuthLearner(token); err == nil {
			return c, l, nil
		}
	}
	return nil, Learner{}, ErrBadToken
}

// AuthInstructor finds the class whose instructor token this is.
func (s *Store) AuthInstructor(token string) (*Class, error) {
	if !wellFormed(token) {
		return nil, ErrBadToken
	}
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if c.AuthInstructor(token) == nil {
			return c, nil
		}
	}
	return nil, ErrBadToken
}

// LearnerPath is the path of a learner's page on `ckat serve`.
func LearnerPath(token string) string { return "/learn/" + token }

// InstructorPath is the path of a class's instructor page on `ckat serve`.
func InstructorPath(token string) string { return "/teach/" + token }

// DefaultListen is the address `ckat serve` listens on unless told
// otherwise; the links `ckat class create` prints point there.
const DefaultListen = "127.0.0.1:8080"

// URL is the link to path on `ckat serve` at its default address.
func URL(path string) string { return "http://" + DefaultListen + path }

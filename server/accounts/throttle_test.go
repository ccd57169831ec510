package accounts_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hubtalks/hubtalks/realtime"
	"github.com/hubtalks/hubtalks/server"
	"github.com/hubtalks/hubtalks/server/testserver"
)

// loginLimits sets the login throttle: failures per account and attempts
// per address, in a one-minute window.
func loginLimits(perAccount, perAddress int) testserver.Option {
	return testserver.WithConfig(func(c *server.Config) {
		c.Accounts.LoginFailuresPerAccount = perAccount
		c.Accounts.LoginAttemptsPerIP = perAddress
		c.Accounts.LoginWindow = time.Minute
	})
}

// Parallel guesses for one account on two instances sharing Redis: the
// attempt is counted before the password is checked, so no more than the
// limit get an answer about the password.
func TestLoginRaceStaysWithinTheLimit(t *testing.T) {
	t.Parallel()
	env := testserver.New(t, testserver.WithRedis(), loginLimits(10, 1000))
	peer := env.Peer(realtime.HubConfig{})
	victim := env.NewUser("participant")
	var wg sync.WaitGroup
	codes := make(chan int, 30)
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			on := env
			if i%2 == 1 {
				on = peer
			}
			r := on.Post("/api/v1/auth/login", "", map[string]string{"email": victim.Email, "password": "guess number " + strconv.Itoa(i)})
			codes <- r.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[401] > 10 || count[401]+count[429] != 30 {
		t.Fatalf("30 parallel wrong passwords with a limit of 10: %v", count)
	}
}

// An attacker who hammers an account from one address, and then from many,
// cannot keep its owner, from an address that has not failed, out.
func TestOwnerSignsInWhileAttackerHammers(t *testing.T) {
	t.Parallel()
	env := testserver.New(t, loginLimits(5, 100), testserver.WithConfig(func(c *server.Config) { c.TrustedProxies = []string{"127.0.0.1"} }))
	base := env.Listen()
	owner := env.NewUser("participant")
	login := func(from, password string) int { return testserver.LoginFrom(t, base, from, owner.Email, password) }
	// One address: its budget for the account runs out…
	for i := range 20 {
		got := login("203.0.113.1", "wrong password "+strconv.Itoa(i))
		if (i < 5 && got != 401) || (i >= 5 && got != 429) {
			t.Fatalf("attempt %d from the attacker's address: %d", i, got)
		}
	}
	// …and the owner still signs in from theirs.
	if got := login("198.51.100.20", testserver.TestPassword); got != 200 {
		t.Fatalf("owner from another address: %d, want 200", got)
	}
	// Many addresses spend the account's global budget: each new one then
	// gets only a few attempts…
	for a := 2; a <= 12; a++ {
		for i := range 5 {
			login("203.0.113."+strconv.Itoa(a), "wrong password "+strconv.Itoa(i))
		}
	}
	codes := []int{}
	for i := range 4 {
		codes = append(codes, login("203.0.113.99", "wrong password "+strconv.Itoa(i)))
	}
	if codes[2] != 401 || codes[3] != 429 {
		t.Fatalf("a fresh attacking address while the account is under attack: %v, want three tries", codes)
	}
	// …while the owner, from an address that has not failed, signs in.
	if got := login("198.51.100.21", testserver.TestPassword); got != 200 {
		t.Fatalf("owner while the account is under attack: %d, want 200", got)
	}
}

package accounts_test

import (
	"testing"

	"github.com/hubtalks/hubtalks/server/testserver"
)

// A moderator sees users without their emails, so a search must not match
// them either (else ?q= recovers an address letter by letter).
func TestUserSearchMatchesEmailsForAdminsOnly(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	target := env.NewUser("participant") // user<n>-<nano>@example.test, "Test User <n>"
	moderator, admin := env.NewUser("moderator"), env.NewUser("admin")
	type page struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	search := func(token, q string) int {
		var p page
		testserver.Must(t, env.Get("/api/v1/users?q="+q, token), 200).JSON(t, &p)
		n := 0
		for _, u := range p.Items {
			if u.ID == target.ID {
				n++
			}
		}
		return n
	}
	if n := search(moderator.Token, target.Email); n != 0 {
		t.Fatalf("a moderator's search by the hidden email found the user")
	}
	if n := search(moderator.Token, "example.test"); n != 0 {
		t.Fatalf("a moderator's search by part of the hidden email found the user")
	}
	if n := search(admin.Token, target.Email); n != 1 {
		t.Fatalf("an admin's search by email: %d matches, want 1", n)
	}
	if n := search(moderator.Token, "Test%20User"); n != 1 {
		t.Fatalf("a moderator's search by name: %d matches, want 1", n)
	}
}

// TestUserListLeavesOutGuests: the user list picks speakers and changes
// roles; a guest can be neither, so neither a moderator nor an admin finds
// one there.
func TestUserListLeavesOutGuests(t *testing.T) {
	t.Parallel()
	env := testserver.New(t)
	var joined struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	testserver.Must(t, env.Post("/api/v1/auth/guest", "", map[string]string{"display_name": "Quentin Guest"}), 201).JSON(t, &joined)
	for _, caller := range []testserver.User{env.NewUser("moderator"), env.NewUser("admin")} {
		var p struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		testserver.Must(t, env.Get("/api/v1/users?q=Quentin", caller.Token), 200).JSON(t, &p)
		for _, u := range p.Items {
			if u.ID == joined.User.ID {
				t.Fatalf("%s's user list holds the guest %d", caller.Role, u.ID)
			}
		}
	}
}

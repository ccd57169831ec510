// Package accounts owns users, sessions and the signed-in caller: signup,
// login and logout, the caller's own data (export, erasure), and the admin's
// user list and role changes.
//
// Store holds the SQL (with a short session cache and a batching session
// loader in front of the lookup every request makes), Service the rules,
// and Handlers the HTTP side: the endpoints, the session cookie and the
// middleware that authenticates every request.
package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/keyset"
	"github.com/hubtalks/hubtalks/server/live"
)

// CookieName is the session cookie.
const CookieName = "hub_session"

// ErasedName is the display name of an erased account, wherever it appears.
const ErasedName = "Former participant"

// Errors of the accounts' rules.
var (
	ErrEmailTaken         = errors.New("an account with this email already exists")
	ErrInvalidCredentials = errors.New("the email or the password is wrong")
	ErrInvalidToken       = errors.New("this link is invalid, used or expired; ask for a new one")
	ErrAlreadyVerified    = errors.New("this email address is already verified")
	ErrNoEmail            = errors.New("this account has no email address; add one first")
	ErrNoPassword         = errors.New("this account has no password; add an email and a password first")
	ErrNotGuest           = errors.New("only a guest account can be upgraded; this one already has an email")
	ErrGuestRole          = errors.New("a guest has no email: it must create an account (POST /me/upgrade) before it can hold a role")
)

// Config tunes sessions and login throttling.
type Config struct {
	SessionTTL     time.Duration // absolute lifetime of a session
	SessionIdle    time.Duration // a session unused this long ends
	SecureCookie   bool          // set Secure on the cookie (behind TLS)
	AllowedOrigins []string      // origins whose cookie requests pass the CSRF check
	// Login throttling: failures per account, and attempts per client address,
	// in LoginWindow. The window is short so the real owner is never locked out for long.
	LoginFailuresPerAccount int
	LoginAttemptsPerIP      int
	LoginWindow             time.Duration
	SignupsPerIP            int
	SignupWindow            time.Duration
	// Account messages: verification resends per user, reset requests per
	// address asked for and per client address, in MessageWindow; and
	// password change attempts per user in LoginWindow.
	VerifyResendsPerUser   int
	ResetsPerEmail         int
	ResetsPerIP            int
	MessageWindow          time.Duration
	PasswordChangesPerUser int
	// Guests joining from one address: a full venue behind one NAT fits.
	GuestsPerIP int
	GuestWindow time.Duration
}

// DefaultConfig is what production runs with.
func DefaultConfig() Config {
	return Config{
		SessionTTL:              30 * 24 * time.Hour,
		SessionIdle:             14 * 24 * time.Hour,
		LoginFailuresPerAccount: 10,
		LoginAttemptsPerIP:      50,
		LoginWindow:             10 * time.Minute,
		SignupsPerIP:            30,
		SignupWindow:            time.Hour,
		VerifyResendsPerUser:    3,
		ResetsPerEmail:          3,
		ResetsPerIP:             20,
		MessageWindow:           time.Hour,
		PasswordChangesPerUser:  10,
		GuestsPerIP:             500,
		GuestWindow:             10 * time.Minute,
	}
}

// SocketCloser closes a user's live connections (the realtime hub).
type SocketCloser interface{ DisconnectUser(userID int64) }

// Eraser removes or anonymises what one domain keeps about a user when the
// account is erased; it runs inside the erasing transaction.
type Eraser func(ctx context.Context, tx *live.Tx, userID int64) error

// Exporter returns what one domain keeps about a user, for GET /me/export.
type Exporter func(ctx context.Context, db *sqlx.DB, userID int64) (any, error)

// User is an account as the API shows it.
type User struct {
	ID          int64    `json:"id" db:"id"`
	Email       dbx.Text `json:"email,omitempty" db:"email"` // "" for guests (NULL)
	DisplayName string   `json:"display_name" db:"display_name"`
	Role        string   `json:"role" db:"role"`
	// Locale is the language the person chose (PATCH /me); null: the
	// browser's. Messages go out in it, else in the language they signed
	// up in, else English.
	Locale    *string   `json:"locale" db:"locale"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	// EmailVerified: the address has been confirmed (by a verification or
	// a password reset link); until then only verification messages go to it.
	EmailVerified bool `json:"email_verified" db:"email_verified"`
	Profile
	// Notifications are the user's message settings, shown to the user
	// only (GET and PATCH /me).
	Notifications *Notifications `json:"notifications,omitempty" db:"-"`
}

// Notifications are the messages a user may turn off; the outbox drops
// those of a kind turned off. Everything else (confirmations,
// cancellations, account messages) is always sent.
type Notifications struct {
	Reminders bool `json:"reminders" db:"notify_reminders"` // 24 h and 1 h before a registered talk
	Recording bool `json:"recording" db:"notify_recording"` // "the recording is up"
}

// NotificationsChange changes some of the settings; an absent one stays.
type NotificationsChange struct {
	Reminders *bool `json:"reminders"`
	Recording *bool `json:"recording"`
}

// Session is a new session as signup and login answer it: the user and the
// bearer token (the cookie carries the same token).
type Session struct {
	User  User   `json:"user"`
	Token string `json:"token"`
}

// Client is the address a request came from (never read from its body):
// sign-ups, guests, upgrades, sign-ins and reset requests are limited per
// address.
type Client struct {
	From string `json:"-"`
	// Locale is the request's language (i18n.Request): a new account
	// keeps it for its messages until the person chooses one.
	Locale string `json:"-"`
}

func (c *Client) setFrom(addr, locale string) { c.From, c.Locale = addr, locale }

// Signup asks for a new participant account.
type Signup struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	Client
}

// GuestJoin asks for a guest account: a display name only.
type GuestJoin struct {
	DisplayName string `json:"display_name"`
	Client
}

// Upgrade turns the caller's guest account into a participant's.
type Upgrade struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Client
}

// Login asks for a session with an email and a password.
type Login struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Client
}

// RoleChange is an admin's change of a user's global role.
type RoleChange struct {
	Role *string `json:"role"`
}

// UserSearch asks for a page of users whose email or name contains Text.
type UserSearch struct {
	Text string
	Page keyset.Page
}

// Export is everything stored about a person, for GET /me/export: the
// account, its sessions, and every domain's part under its key.
type Export struct {
	ExportedAt time.Time         `json:"exported_at"`
	User       exportedUser      `json:"user"`
	Sessions   []exportedSession `json:"sessions"`
	Data       map[string]any    `json:"data"`
}

type exportedUser struct {
	User
	UpdatedAt time.Time `json:"updated_at" db:"updated_at"`
}

type exportedSession struct {
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
	ExpiresAt  time.Time `json:"expires_at" db:"expires_at"`
	LastUsedAt time.Time `json:"last_used_at" db:"last_used_at"`
}

// Verify asks to confirm an address with the token of its link.
type Verify struct {
	Token string `json:"token"`
}

// PasswordReset asks for a reset link to an address.
type PasswordReset struct {
	Email string `json:"email"`
	Client
}

// PasswordResetConfirm sets a new password with the token of a reset link.
type PasswordResetConfirm struct {
	Token    string `json:"token"`
	Password string `json:"password"`
	Client
}

// PasswordChange is the caller's change of their own password.
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ProfileChange is the caller's change of their own profile (PATCH /me):
// the display name, the speaker profile (bio, affiliation, links) and the
// notification settings; an absent field stays as it is.
type ProfileChange struct {
	DisplayName   *string              `json:"display_name"`
	Bio           *string              `json:"bio"`
	Affiliation   *string              `json:"affiliation"`
	Links         *[]string            `json:"links"`
	Notifications *NotificationsChange `json:"notifications"`
	Locale        LocaleChange         `json:"locale"`
}

// LocaleChange is PATCH /me's locale: left out (Set false), null (Value
// nil: follow the browser again), or one of i18n.Locales.
type LocaleChange struct {
	Set   bool
	Value *string
}

// UnmarshalJSON records that the field was given, null included.
func (l *LocaleChange) UnmarshalJSON(b []byte) error {
	l.Set = true
	return json.Unmarshal(b, &l.Value)
}

// Profile is what a speaker shows about themselves: public for speakers of
// a talk that is not a draft (GET /users/{id}), and to the user itself.
type Profile struct {
	Bio         string  `json:"bio" db:"bio"`
	Affiliation string  `json:"affiliation" db:"affiliation"`
	Links       Links   `json:"links" db:"links"`
	PhotoURL    *string `json:"photo_url" db:"photo_url"` // null without a photo
}

// Links are a profile's web links (http and https only).
type Links []string

// Scan reads a text[] column.
func (l *Links) Scan(src any) error {
	var a pq.StringArray
	if err := a.Scan(src); err != nil {
		return err
	}
	*l = Links(a)
	return nil
}

// MarshalJSON writes no links as [], never null.
func (l Links) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]string(l))
}

// VerifiedHook runs in the transaction that verifies userID's address.
type VerifiedHook func(ctx context.Context, tx *live.Tx, userID int64) error

package accounts

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/i18n"
)

// userColumns are a user's columns as the API shows them (User), for a
// query or a RETURNING clause on users.
var userColumns = `id, email, display_name, role, locale, created_at, email_verified_at IS NOT NULL AS email_verified,
	bio, affiliation, links, ` + domain.PhotoURL("users.id")

var (
	insertUser = `INSERT INTO users (email, display_name, password_hash, role)
		VALUES ($1, $2, $3, $4)
		RETURNING ` + userColumns + ``
	selectUserByEmail = `SELECT ` + userColumns + `, password_hash
		FROM users WHERE lower(email) = lower($1) AND deleted_at IS NULL`
	selectUserByID = `SELECT ` + userColumns + `
		FROM users WHERE id = $1 AND deleted_at IS NULL`
	insertSession = `INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, $3) RETURNING id`
	// The session lookup is read-only; touchSessions slides last_used_at, at
	// most once a minute, so that a busy client does not write on every
	// request. It looks up several tokens at once (see sessionLoader).
	selectSessions = `SELECT s.token_hash, s.id AS session_id, s.last_used_at < now() - interval '1 minute' AS stale,
			u.id, u.email, u.display_name, u.role, u.locale
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ANY ($1::bytea[]) AND s.expires_at > now() AND s.last_used_at > now() - $2::interval
		  AND u.deleted_at IS NULL`
	touchSessions      = `UPDATE sessions SET last_used_at = now() WHERE id = ANY ($1::bigint[])`
	deleteSession      = `DELETE FROM sessions WHERE id = $1`
	deleteUserSessions = `DELETE FROM sessions WHERE user_id = $1`
	deleteExpired      = `DELETE FROM sessions WHERE expires_at < now() OR last_used_at < now() - $1::interval`
	updateRole         = `UPDATE users SET role = $2, updated_at = now() WHERE id = $1 AND deleted_at IS NULL
		RETURNING ` + userColumns + ``
	// listUsers matches emails only when $4 (an admin's search): a search
	// must not find by what its answer hides.
	// Guests are left out: the list is for picking speakers and changing
	// roles, and a guest can be neither.
	listUsers = `SELECT ` + userColumns + ` FROM users
		WHERE deleted_at IS NULL AND role <> 'guest' AND id > $1
		  AND ($2 = '' OR ($4 AND email ILIKE '%' || $2 || '%') OR display_name ILIKE '%' || $2 || '%')
		ORDER BY id LIMIT $3`
	// Erasing keeps the row (questions and posts keep their author id) but
	// removes everything that identifies the person.
	eraseUser = `UPDATE users SET email = 'erased-' || id || '@erased.invalid',
		display_name = $2, password_hash = '', role = 'participant', bio = '', affiliation = '', links = '{}',
		deleted_at = now(), updated_at = now()
		WHERE id = $1 AND deleted_at IS NULL`
	selectUserExport     = `SELECT ` + userColumns + `, updated_at FROM users WHERE id = $1`
	selectSessionsExport = `SELECT created_at, expires_at, last_used_at FROM sessions WHERE user_id = $1 ORDER BY id`
)

// Guests: a guest has a name only; upgrading gives it an email and a
// password, unverified, and keeps its id (and so everything it wrote).
var (
	insertGuest = `INSERT INTO users (display_name, role) VALUES ($1, 'guest')
		RETURNING ` + userColumns + ``
	upgradeGuest = `UPDATE users SET email = $2, password_hash = $3, role = 'participant', email_verified_at = NULL,
			updated_at = now()
		WHERE id = $1 AND role = 'guest' AND deleted_at IS NULL
		RETURNING ` + userColumns + ``
	selectRole = `SELECT role FROM users WHERE id = $1 AND deleted_at IS NULL`
)

// userWithHash is a user row with its password hash (login reads it).
type userWithHash struct {
	User
	PasswordHash string `db:"password_hash"`
}

// Store is the accounts' SQL. Unlike the other domains' stores it holds the
// database: the session lookup every request makes is prepared once, cached
// briefly and batched (sessionCache, sessionLoader), and the command line
// uses the store on its own. Only erasure runs inside a caller's
// transaction (erase).
type Store struct {
	db *sqlx.DB
	// The session lookup runs on every authenticated request: prepared (per
	// pooled connection, by database/sql), it skips planning each time.
	sessionStmt atomic.Pointer[sqlx.Stmt]
	mu          sync.Mutex
	lastPrepare time.Time
	sessionIdle time.Duration // a session unused this long has ended
	sessions    *sessionCache // nil: no caching (commands, tests that make users)
	loader      *sessionLoader
}

// NewStore wraps db.
func NewStore(db *sqlx.DB) *Store { return newStore(db, DefaultConfig().SessionIdle, nil) }

// newCachingStore is the server's store: session lookups are cached briefly.
func newCachingStore(db *sqlx.DB, sessionIdle time.Duration) *Store {
	return newStore(db, sessionIdle, newSessionCache(sessionCacheTTL))
}

func newStore(db *sqlx.DB, sessionIdle time.Duration, cache *sessionCache) *Store {
	s := &Store{db: db, sessionIdle: sessionIdle, sessions: cache}
	s.loader = newSessionLoader(s.fetchSessions)
	return s
}

// sessionQuery is the prepared session lookup, or nil while it cannot be
// prepared (the database is down); preparing is retried every few seconds.
func (s *Store) sessionQuery() *sqlx.Stmt {
	if stmt := s.sessionStmt.Load(); stmt != nil {
		return stmt
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if stmt := s.sessionStmt.Load(); stmt != nil || time.Since(s.lastPrepare) < 5*time.Second {
		return stmt
	}
	s.lastPrepare = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stmt, err := s.db.PreparexContext(ctx, selectSessions)
	if err != nil {
		return nil
	}
	s.sessionStmt.Store(stmt)
	return stmt
}

// CreateUser inserts a user whose password is already hashed.
func (s *Store) CreateUser(ctx context.Context, email, name, passwordHash, role string) (User, error) {
	return s.createUser(ctx, s.db, email, name, passwordHash, role)
}

func (s *Store) createUser(ctx context.Context, q sqlx.QueryerContext, email, name, passwordHash, role string) (User, error) {
	var u User
	err := sqlx.GetContext(ctx, q, &u, insertUser, email, name, passwordHash, role)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return u, ErrEmailTaken
	}
	if err != nil {
		return u, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

func (s *Store) userByEmail(ctx context.Context, email string) (userWithHash, error) {
	return dbx.GetOne[userWithHash](ctx, s.db, "user by email", selectUserByEmail, email) // no address in logs
}

// UserByID loads a live (not erased) user.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return dbx.GetOne[User](ctx, s.db, fmt.Sprintf("user %d", id), selectUserByID, id)
}

// getOne reads one row; no row is domain.ErrNotFound about what.

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// CreateSession starts a session of ttl for a user: its token (stored
// only as a hash) and its id.
func (s *Store) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (token string, id int64, err error) {
	token, err = newToken()
	if err != nil {
		return "", 0, err
	}
	if err := s.db.GetContext(ctx, &id, insertSession, userID, hashToken(token), time.Now().Add(ttl)); err != nil {
		return "", 0, fmt.Errorf("insert session for user %d: %w", userID, err)
	}
	return token, id, nil
}

type sessionUser struct {
	SessionID   int64    `db:"session_id"`
	Stale       bool     `db:"stale"`
	ID          int64    `db:"id"`
	Email       dbx.Text `db:"email"`
	DisplayName string   `db:"display_name"`
	Role        string   `db:"role"`
	Locale      dbx.Text `db:"locale"`
}

// sessionUser finds the live session of token and its user (nil when there
// is none): from the cache, else through the loader.
func (s *Store) sessionUser(ctx context.Context, token string) (*sessionUser, error) {
	hash := hashToken(token)
	if su, ok := s.sessions.get(hash); ok {
		return &su, nil
	}
	mark := s.sessions.mark()
	su, err := s.loader.load(ctx, hash)
	if err != nil || su == nil {
		return nil, err
	}
	s.sessions.put(hash, *su, mark)
	return su, nil
}

// fetchSessions looks up the live sessions of several token hashes in one
// query, keyed by hash, and slides the stale ones' last use.
func (s *Store) fetchSessions(ctx context.Context, hashes [][]byte) (map[string]sessionUser, error) {
	var rows []struct {
		TokenHash []byte `db:"token_hash"`
		sessionUser
	}
	args := []any{pq.ByteaArray(hashes), fmt.Sprintf("%d seconds", int(s.sessionIdle.Seconds()))}
	var err error
	if stmt := s.sessionQuery(); stmt != nil {
		err = stmt.SelectContext(ctx, &rows, args...)
	} else { // the database was down when we first tried to prepare
		err = s.db.SelectContext(ctx, &rows, selectSessions, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("load %d sessions: %w", len(hashes), err)
	}
	found := make(map[string]sessionUser, len(rows))
	var stale []int64
	for _, r := range rows {
		if r.Stale {
			stale = append(stale, r.SessionID)
			r.Stale = false
		}
		found[string(r.TokenHash)] = r.sessionUser
	}
	if len(stale) > 0 {
		if _, err := s.db.ExecContext(ctx, touchSessions, pq.Array(stale)); err != nil {
			return nil, fmt.Errorf("touch %d sessions: %w", len(stale), err)
		}
	}
	return found, nil
}

func (s *Store) deleteSession(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, deleteSession, id); err != nil {
		return fmt.Errorf("delete session %d: %w", id, err)
	}
	s.sessions.evict(id, 0)
	return nil
}

// PruneSessions deletes expired and idle sessions.
func (s *Store) PruneSessions(ctx context.Context, idle time.Duration) (int64, error) {
	res, err := s.db.ExecContext(ctx, deleteExpired, fmt.Sprintf("%d seconds", int(idle.Seconds())))
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return res.RowsAffected()
}

// SetRole changes a user's role and ends every session of theirs, so the
// new role takes effect with a fresh session.
func (s *Store) SetRole(ctx context.Context, id int64, role string) (User, error) {
	var u User
	err := dbx.InTx(ctx, s.db, nil, fmt.Sprintf("role of user %d", id), func(tx *sqlx.Tx) error {
		var err error
		if u, err = dbx.GetOne[User](ctx, tx, fmt.Sprintf("user %d", id), updateRole, id, role); err != nil {
			return err
		}
		return dbx.Exec(ctx, tx, fmt.Sprintf("end sessions of user %d", id), deleteUserSessions, id)
	})
	if err != nil {
		return User{}, err
	}
	s.sessions.evict(0, id)
	return u, nil
}

// SetRoleByEmail is the command line's way to promote a user.
func (s *Store) SetRoleByEmail(ctx context.Context, email, role string) (User, error) {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return User{}, err
	}
	return s.SetRole(ctx, u.ID, role)
}

// ListUsers pages through users by id, filtered by q on the name, and on
// the email too when byEmail.
func (s *Store) ListUsers(ctx context.Context, q string, byEmail bool, after int64, limit int) ([]User, error) {
	users := []User{}
	if err := s.db.SelectContext(ctx, &users, listUsers, after, q, limit, byEmail); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// CreateGuest inserts a guest: a display name, no email, no password.
func (s *Store) CreateGuest(ctx context.Context, name string) (User, error) {
	return dbx.GetOne[User](ctx, s.db, "new guest", insertGuest, name)
}

// upgradeGuest gives guest id an email and a password hash and makes it a
// participant; a user that is not a guest (any more) is ErrNotGuest. Its
// cached sessions are dropped so the next request sees the new role.
func (s *Store) upgradeGuest(ctx context.Context, q sqlx.QueryerContext, id int64, email, passwordHash string) (User, error) {
	u, err := dbx.GetOne[User](ctx, q, fmt.Sprintf("guest %d", id), upgradeGuest, id, email, passwordHash)
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "23505":
		return u, ErrEmailTaken
	case errors.Is(err, domain.ErrNotFound):
		return u, ErrNotGuest
	case err != nil:
		return u, err
	}
	s.sessions.evict(0, id)
	return u, nil
}

// roleOf reads a live user's role.
func (s *Store) roleOf(ctx context.Context, id int64) (string, error) {
	return dbx.GetOne[string](ctx, s.db, fmt.Sprintf("role of user %d", id), selectRole, id)
}

// exportOf reads the account and its sessions for a data export.
func (s *Store) exportOf(ctx context.Context, userID int64) (exportedUser, []exportedSession, error) {
	var u exportedUser
	sessions := []exportedSession{}
	if err := s.db.GetContext(ctx, &u, selectUserExport, userID); err != nil {
		return u, nil, fmt.Errorf("export user %d: %w", userID, err)
	}
	if err := s.db.SelectContext(ctx, &sessions, selectSessionsExport, userID); err != nil {
		return u, nil, fmt.Errorf("export sessions of user %d: %w", userID, err)
	}
	return u, sessions, nil
}

// erase ends the user's sessions and anonymises the account, inside the
// erasing transaction q; forgetSessions follows once it has committed.
func (s *Store) erase(ctx context.Context, q sqlx.ExecerContext, userID int64) error {
	if _, err := q.ExecContext(ctx, deleteUserSessions, userID); err != nil {
		return fmt.Errorf("erase sessions of user %d: %w", userID, err)
	}
	if _, err := q.ExecContext(ctx, eraseUser, userID, ErasedName); err != nil {
		return fmt.Errorf("erase user %d: %w", userID, err)
	}
	return dbx.Exec(ctx, q, fmt.Sprintf("erase photo of user %d", userID), deletePhoto, userID)
}

// forgetSessions drops the cached sessions of a user whose sessions ended.
func (s *Store) forgetSessions(userID int64) { s.sessions.evict(0, userID) }

// Account tokens (verification, password reset) and the caller's own
// changes (name, password).
var (
	insertToken = `INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at)
		VALUES ($1, $2, $3, $4, now() + $5::interval)`
	// Using a token is one statement: the row lock makes two concurrent uses
	// see one winner, the other finds used_at set and no row.
	useToken = `UPDATE account_tokens SET used_at = now()
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
		RETURNING user_id, email`
	// The rest of a user's tokens of a purpose die with the one used.
	retireTokens = `UPDATE account_tokens SET used_at = now()
		WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`
	// A token is for the address it was sent to: a changed (or erased)
	// address makes it useless.
	selectTokenOwner = `SELECT ` + userColumns + `
		FROM users WHERE id = $1 AND lower(email) = lower($2) AND deleted_at IS NULL FOR UPDATE`
	markVerified = `UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1`
	// What a verification needs: the address, and whether it still needs one.
	selectVerifyTarget = `SELECT coalesce(email, '') AS email, email_verified_at IS NOT NULL AS email_verified
		FROM users WHERE id = $1 AND deleted_at IS NULL`
	insertAccountMessage = `INSERT INTO outbox (kind, user_id, payload) VALUES ($1, $2, $3::text::jsonb)`
	selectPasswordHash   = `SELECT coalesce(password_hash, '') FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`
	updatePassword       = `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`
	deleteOtherSessions  = `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`
	updateDisplayName    = `UPDATE users SET display_name = $2, updated_at = now() WHERE id = $1 AND deleted_at IS NULL
		RETURNING ` + userColumns + ``
	// The recipient of an account message: its address must still be the
	// one the message was written for.
	selectMessageRecipient = `SELECT display_name, ` + i18n.RecipientSQL + ` AS locale
		FROM users WHERE id = $1 AND lower(email) = lower($2) AND deleted_at IS NULL`
)

// tokenUse is the owner and address of a token just used.
type tokenUse struct {
	UserID int64  `db:"user_id"`
	Email  string `db:"email"`
}

// verifyTarget is what a verification message needs of its user.
type verifyTarget struct {
	Email         string `db:"email"`
	EmailVerified bool   `db:"email_verified"`
}

// createToken stores a new token of purpose for userID's address, valid
// for ttl, and returns it; only its SHA-256 is stored.
func (s *Store) createToken(ctx context.Context, q sqlx.ExecerContext, userID int64, purpose, email string, ttl time.Duration) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	err = dbx.Exec(ctx, q, fmt.Sprintf("create %s token for user %d", purpose, userID), insertToken,
		hashToken(token), userID, purpose, email, fmt.Sprintf("%d seconds", int(ttl.Seconds())))
	return token, err
}

// useToken marks the live token of purpose used and returns its owner and
// address; ErrInvalidToken when it is unknown, used or expired, or when
// the owner's address has changed since. The owner's row stays locked for
// the rest of q's transaction.
func (s *Store) useToken(ctx context.Context, q sqlx.ExtContext, token, purpose string) (User, error) {
	use, err := dbx.Get[tokenUse](ctx, q, "use "+purpose+" token", useToken, hashToken(token), purpose)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrInvalidToken
	}
	if err != nil {
		return User{}, err
	}
	u, err := dbx.Get[User](ctx, q, fmt.Sprintf("owner of a %s token", purpose), selectTokenOwner, use.UserID, use.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrInvalidToken
	}
	if err != nil {
		return User{}, err
	}
	return u, dbx.Exec(ctx, q, fmt.Sprintf("retire %s tokens of user %d", purpose, u.ID), retireTokens, u.ID, purpose)
}

func (s *Store) markVerified(ctx context.Context, q sqlx.ExecerContext, userID int64) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("mark user %d verified", userID), markVerified, userID)
}

func (s *Store) verifyTarget(ctx context.Context, q sqlx.QueryerContext, userID int64) (verifyTarget, error) {
	return dbx.GetOne[verifyTarget](ctx, q, fmt.Sprintf("user %d", userID), selectVerifyTarget, userID)
}

// enqueueAccountMessage writes a message of kind to userID into the outbox
// in q's transaction.
func (s *Store) enqueueAccountMessage(ctx context.Context, q sqlx.ExecerContext, kind string, userID int64, payload []byte) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("enqueue %s for user %d", kind, userID), insertAccountMessage, kind, userID, string(payload))
}

// passwordHashForUpdate reads a user's hash ("" for none: a guest) and
// locks the row until q's transaction ends.
func (s *Store) passwordHashForUpdate(ctx context.Context, q sqlx.QueryerContext, userID int64) (string, error) {
	return dbx.GetOne[string](ctx, q, fmt.Sprintf("user %d", userID), selectPasswordHash, userID)
}

// setPassword stores a new hash and ends the user's sessions but keep
// (0: every session).
func (s *Store) setPassword(ctx context.Context, q sqlx.ExecerContext, userID int64, hash string, keep int64) error {
	if err := dbx.Exec(ctx, q, fmt.Sprintf("set password of user %d", userID), updatePassword, userID, hash); err != nil {
		return err
	}
	return dbx.Exec(ctx, q, fmt.Sprintf("end other sessions of user %d", userID), deleteOtherSessions, userID, keep)
}

const (
	updateProfile = `UPDATE users SET bio = coalesce($2, bio), affiliation = coalesce($3, affiliation),
		links = coalesce($4, links), updated_at = now() WHERE id = $1 AND deleted_at IS NULL`
	deletePhoto = `DELETE FROM user_photos WHERE user_id = $1`
)

// setProfile changes the fields of a speaker profile that are not nil.
func (s *Store) setProfile(ctx context.Context, q sqlx.ExecerContext, userID int64, bio, affiliation *string, links []string) error {
	var l any
	if links != nil {
		l = pq.StringArray(links)
	}
	return dbx.Exec(ctx, q, fmt.Sprintf("set profile of user %d", userID), updateProfile, userID, bio, affiliation, l)
}

const (
	selectNotifications = `SELECT notify_reminders, notify_recording FROM users WHERE id = $1`
	// The language a person chose (NULL: the browser's), and the one of
	// the request that created the account, kept once.
	updateLocale        = `UPDATE users SET locale = $2, updated_at = now() WHERE id = $1 AND deleted_at IS NULL`
	updateSignupLocale  = `UPDATE users SET signup_locale = coalesce(signup_locale, $2) WHERE id = $1`
	updateNotifications = `UPDATE users SET notify_reminders = coalesce($2, notify_reminders),
		notify_recording = coalesce($3, notify_recording), updated_at = now() WHERE id = $1 AND deleted_at IS NULL`
)

func (s *Store) notifications(ctx context.Context, q sqlx.QueryerContext, userID int64) (Notifications, error) {
	return dbx.GetOne[Notifications](ctx, q, fmt.Sprintf("user %d", userID), selectNotifications, userID)
}

func (s *Store) setNotifications(ctx context.Context, q sqlx.ExecerContext, userID int64, reminders, recording *bool) error {
	return dbx.Exec(ctx, q, "set notifications", updateNotifications, userID, reminders, recording)
}

func (s *Store) setLocale(ctx context.Context, q sqlx.ExecerContext, userID int64, locale *string) error {
	return dbx.Exec(ctx, q, "set locale", updateLocale, userID, locale)
}

// setSignupLocale keeps the language of the request that made the account
// (the first one given).
func (s *Store) setSignupLocale(ctx context.Context, q sqlx.ExecerContext, userID int64, locale string) error {
	return dbx.Exec(ctx, q, "set signup locale", updateSignupLocale, userID, i18n.Or(locale))
}

func (s *Store) setDisplayName(ctx context.Context, q sqlx.QueryerContext, userID int64, name string) (User, error) {
	return dbx.GetOne[User](ctx, q, fmt.Sprintf("user %d", userID), updateDisplayName, userID, name)
}

// recipient is whom an account message goes to: their name and language.
type recipient struct {
	Name   string `db:"display_name"`
	Locale string `db:"locale"`
}

// messageRecipient is the user an account message goes to, or
// sql.ErrNoRows when the account is gone or its address changed.
func (s *Store) messageRecipient(ctx context.Context, q sqlx.QueryerContext, userID int64, email string) (recipient, error) {
	return dbx.Get[recipient](ctx, q, fmt.Sprintf("recipient user %d", userID), selectMessageRecipient, userID, email)
}

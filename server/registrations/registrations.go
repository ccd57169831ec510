// Package registrations owns registering for talks: confirmation while there
// are seats, a first-come-first-served waitlist after that, cancellations
// and capacity raises that confirm the head of the waitlist in the same
// transaction, the staff's list of registrants (JSON and CSV) and the
// messages these changes send through the outbox.
//
// Never more confirmed than capacity, under any concurrency: a registration
// takes the talk's row lock before it counts, and the database itself
// refuses an overbooking (talks.confirmed_count, kept by a trigger, has
// CHECK (confirmed_count <= capacity)), whoever writes the rows.
//
// Every registration goes through its talk's batch (batch.go), with or
// without an Idempotency-Key: the key's response is stored in the batch's
// transaction.
package registrations

import (
	"errors"
	"time"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Message kinds written to the outbox by registrations.
const (
	MessageConfirmed  = "registration.confirmed"
	MessageWaitlisted = "registration.waitlisted"
	MessagePromoted   = "registration.promoted" // confirmed from the waitlist
	// MessageUnregistered takes the talk out of the calendar of someone
	// whose confirmed registration ended while the talk goes on
	// (METHOD:CANCEL for that attendee).
	MessageUnregistered = "registration.cancelled"
)

// Registration is a registration as the API shows it.
type Registration struct {
	TalkID           int64       `json:"talk_id" db:"talk_id"`
	UserID           int64       `json:"user_id" db:"user_id"`
	Status           string      `json:"status" db:"status"`
	WaitlistPosition *int        `json:"waitlist_position" db:"waitlist_position"`
	CreatedAt        time.Time   `json:"created_at" db:"created_at"`
	Talk             *talks.Talk `json:"talk,omitempty" db:"-"`
}

// Registrant is a registration as staff see it.
type Registrant struct {
	TalkID           int64      `json:"talk_id" db:"talk_id"`
	UserID           int64      `json:"user_id" db:"user_id"`
	DisplayName      string     `json:"display_name" db:"display_name"`
	Email            *string    `json:"email,omitempty" db:"email"` // moderators and admins only
	Status           string     `json:"status" db:"status"`
	WaitlistPosition *int       `json:"waitlist_position" db:"waitlist_position"`
	CreatedAt        time.Time  `json:"created_at" db:"created_at"`
	ConfirmedAt      *time.Time `json:"confirmed_at" db:"confirmed_at"`
}

// ErrClosed: the talk takes no registrations (any more).
var ErrClosed = errors.New("this talk no longer takes registrations")

// ErrEmailRequired: a guest has no email to confirm a registration to.
var ErrEmailRequired = errors.New("registering needs an account with an email: create one to keep your guest name and questions")

// errMissing: the talk of a registration does not exist.
var errMissing = domain.NotFound("no such talk")

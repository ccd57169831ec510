package registrations

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/outbox"
	"github.com/hubtalks/hubtalks/server/talks"
)

// Composer writes the emails of the outbox's messages: confirmations,
// waitlist and promotion notices, cancellations, reschedules and reminders,
// with the talk's .ics attached (METHOD:REQUEST, or CANCEL). Times in the
// text are in the series time zone.
type Composer struct {
	Cal talks.CalendarConfig
}

var _ outbox.Composer = Composer{}

// Compose renders one message.
func (c Composer) Compose(ctx context.Context, q sqlx.ExtContext, m outbox.Message) (outbox.Mail, error) {
	if m.UserID == nil || m.TalkID == nil {
		return outbox.Mail{}, fmt.Errorf("message %d (%s): %w", m.ID, m.Kind, outbox.ErrDrop)
	}
	email, name, verified, err := Store{}.recipient(ctx, q, *m.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return outbox.Mail{}, fmt.Errorf("user %d: %w", *m.UserID, outbox.ErrDrop)
	}
	if err != nil {
		return outbox.Mail{}, fmt.Errorf("recipient of message %d: %w", m.ID, err)
	}
	if !verified {
		// Nothing but verification goes to an address nobody confirmed; the
		// current state is sent once it is (Service.SendCurrentState).
		return outbox.Mail{}, fmt.Errorf("user %d has no verified address: %w", *m.UserID, outbox.ErrDrop)
	}
	if m.Kind, err = c.currentKind(ctx, q, m); err != nil {
		return outbox.Mail{}, err
	}
	t, err := talks.Load(ctx, q, *m.TalkID)
	if errors.Is(err, domain.ErrNotFound) {
		return outbox.Mail{}, fmt.Errorf("talk %d: %w", *m.TalkID, outbox.ErrDrop)
	}
	if err != nil {
		return outbox.Mail{}, err
	}
	when := c.when(t)
	link := c.Cal.TalkURL(t.ID)
	mail := outbox.Mail{MessageID: fmt.Sprintf("<outbox-%d@%s>", m.ID, c.host()), To: email, ToName: name}
	method := ics.MethodRequest
	attendee := talks.Attendee{Email: email, Name: name, PartStat: ics.ParticipationStatusAccepted}
	var lead string
	switch m.Kind {
	case MessageConfirmed:
		mail.Subject = "You're registered: " + t.Title
		lead = "Your seat is confirmed."
	case MessagePromoted:
		mail.Subject = "A seat opened up: " + t.Title
		lead = "Good news: a seat opened up and your registration is now confirmed."
	case MessageWaitlisted:
		mail.Subject = "You're on the waitlist: " + t.Title
		lead = "The talk is full, so you are on its waitlist. If a seat opens up you will be confirmed automatically and we will tell you."
		method = ""
	case talks.MessageTalkCancelled:
		mail.Subject = "Cancelled: " + t.Title
		lead = "We are sorry: this talk has been cancelled. Your registration has ended."
		method = ics.MethodCancel
	case MessageUnregistered:
		mail.Subject = "No longer registered: " + t.Title
		lead = "Your registration for this talk has ended, so we have taken it out of your calendar. You can register again on the talk's page while it takes registrations."
		method = ics.MethodCancel
		attendee.PartStat, attendee.Uninvited = ics.ParticipationStatusDeclined, t.Status != talks.StatusCancelled
	case talks.MessageTalkRescheduled:
		mail.Subject = "New time: " + t.Title
		var old struct {
			StartsAt time.Time `json:"old_starts_at"`
		}
		_ = json.Unmarshal(m.Payload, &old)
		lead = "This talk has moved to a new time."
		if !old.StartsAt.IsZero() {
			lead += " It was planned for " + c.format(old.StartsAt) + "."
		}
	case outbox.KindReminder24h:
		mail.Subject = "Tomorrow: " + t.Title
		lead = "A reminder: the talk you registered for starts in about 24 hours."
	case outbox.KindReminder1h:
		mail.Subject = "Starting in an hour: " + t.Title
		lead = "A reminder: the talk you registered for starts in about an hour."
	case MessageRecordingUp:
		if t.Recording == nil {
			return outbox.Mail{}, fmt.Errorf("talk %d has no recording any more: %w", t.ID, outbox.ErrDrop)
		}
		mail.Subject = "The recording is up: " + t.Title
		lead = "The recording of the talk you registered for is online: " + t.Recording.URL
		method = ""
	default:
		return outbox.Mail{}, fmt.Errorf("message %d has unknown kind %q: %w", m.ID, m.Kind, outbox.ErrDrop)
	}
	if method == ics.MethodRequest && t.Status == talks.StatusCancelled {
		method = "" // never re-invite to a cancelled talk
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n%s\n\n%s\n%s\n", name, lead, t.Title, when)
	if t.Location != "" {
		fmt.Fprintf(&b, "Where: %s\n", t.Location)
	}
	if len(t.Speakers) > 0 {
		names := make([]string, len(t.Speakers))
		for i, s := range t.Speakers {
			names[i] = s.DisplayName
		}
		fmt.Fprintf(&b, "Speakers: %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, "\nDetails: %s\n\n— Hub Talks\n", link)
	mail.Text = b.String()
	if method != "" {
		mail.Method = string(method)
		mail.Calendar = []byte(c.Cal.Invitation(t, method, attendee, time.Now()))
	}
	return mail, nil
}

// currentKind is what a registration message tells when it is sent: the
// registration as it is now (messages are coalesced, see recentMessage), or
// nothing when it was cancelled meanwhile. An unregistration is sent only
// when the last calendar the user was sent for the talk invited them, and
// they have not registered again. Other kinds stay.
func (Composer) currentKind(ctx context.Context, q sqlx.ExtContext, m outbox.Message) (string, error) {
	if m.Kind == MessageUnregistered {
		invited, err := Store{}.invitedNow(ctx, q, *m.TalkID, *m.UserID, m.ID)
		if err != nil || invited {
			return m.Kind, err
		}
		return "", fmt.Errorf("message %d: no invitation in the calendar of user %d, or registered again: %w", m.ID, *m.UserID, outbox.ErrDrop)
	}
	if m.Kind != MessageConfirmed && m.Kind != MessageWaitlisted && m.Kind != MessagePromoted {
		return m.Kind, nil
	}
	status, err := Store{}.status(ctx, q, *m.TalkID, *m.UserID)
	switch {
	case err != nil:
		return "", err
	case status == "":
		return "", fmt.Errorf("registration of message %d was cancelled: %w", m.ID, outbox.ErrDrop)
	case status == "waitlisted":
		return MessageWaitlisted, nil
	case m.Kind == MessageWaitlisted:
		return MessageConfirmed, nil
	}
	return m.Kind, nil
}

func (c Composer) tz() *time.Location {
	if c.Cal.Timezone == nil {
		return time.UTC
	}
	return c.Cal.Timezone
}

func (c Composer) format(at time.Time) string {
	return at.In(c.tz()).Format("Monday 2 January 2006, 15:04 MST")
}

func (c Composer) when(t talks.Talk) string {
	end := t.EndsAt.In(c.tz()).Format("15:04 MST")
	return fmt.Sprintf("When: %s – %s (%s time)", c.format(t.StartsAt), end, c.tz().String())
}

func (c Composer) host() string {
	if u, err := url.Parse(c.Cal.BaseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "hubtalks"
}

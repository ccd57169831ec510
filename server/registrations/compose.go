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
	"github.com/hubtalks/hubtalks/server/i18n"
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
	to, err := Store{}.recipient(ctx, q, *m.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return outbox.Mail{}, fmt.Errorf("user %d: %w", *m.UserID, outbox.ErrDrop)
	}
	if err != nil {
		return outbox.Mail{}, fmt.Errorf("recipient of message %d: %w", m.ID, err)
	}
	if !to.Verified {
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
	lang := to.Locale
	mail := outbox.Mail{MessageID: fmt.Sprintf("<outbox-%d@%s>", m.ID, c.host()), To: to.Email, ToName: to.Name, Language: lang}
	method := ics.MethodRequest
	attendee := talks.Attendee{Email: to.Email, Name: to.Name, PartStat: ics.ParticipationStatusAccepted}
	title := i18n.Data{"Title": t.Title}
	var lead string
	switch m.Kind {
	case MessageConfirmed:
		mail.Subject = i18n.T(lang, "registration.confirmed.subject", title)
		lead = i18n.T(lang, "registration.confirmed.lead", nil)
	case MessagePromoted:
		mail.Subject = i18n.T(lang, "registration.promoted.subject", title)
		lead = i18n.T(lang, "registration.promoted.lead", nil)
	case MessageWaitlisted:
		mail.Subject = i18n.T(lang, "registration.waitlisted.subject", title)
		lead = i18n.T(lang, "registration.waitlisted.lead", nil)
		method = ""
	case talks.MessageTalkCancelled:
		mail.Subject = i18n.T(lang, "talk.cancelled.subject", title)
		lead = i18n.T(lang, "talk.cancelled.lead", nil)
		method = ics.MethodCancel
	case MessageUnregistered:
		mail.Subject = i18n.T(lang, "registration.cancelled.subject", title)
		lead = i18n.T(lang, "registration.cancelled.lead", nil)
		method = ics.MethodCancel
		attendee.PartStat, attendee.Uninvited = ics.ParticipationStatusDeclined, t.Status != talks.StatusCancelled
	case talks.MessageTalkRescheduled:
		mail.Subject = i18n.T(lang, "talk.rescheduled.subject", title)
		var old struct {
			StartsAt time.Time `json:"old_starts_at"`
		}
		_ = json.Unmarshal(m.Payload, &old)
		lead = i18n.T(lang, "talk.rescheduled.lead", nil)
		if !old.StartsAt.IsZero() {
			at := old.StartsAt.In(c.tz())
			lead += " " + i18n.T(lang, "talk.rescheduled.was", i18n.Data{"When": i18n.FullDate(lang, at) + ", " + i18n.Clock(at)})
		}
	case outbox.KindReminder24h:
		mail.Subject = i18n.T(lang, "reminder.24h.subject", title)
		lead = i18n.N(lang, "reminder.lead", 24, nil)
	case outbox.KindReminder1h:
		mail.Subject = i18n.T(lang, "reminder.1h.subject", title)
		lead = i18n.N(lang, "reminder.lead", 1, nil)
	case MessageRecordingUp:
		if t.Recording == nil {
			return outbox.Mail{}, fmt.Errorf("talk %d has no recording any more: %w", t.ID, outbox.ErrDrop)
		}
		mail.Subject = i18n.T(lang, "recording.up.subject", title)
		lead = i18n.T(lang, "recording.up.lead", i18n.Data{"URL": t.Recording.URL})
		method = ""
	default:
		return outbox.Mail{}, fmt.Errorf("message %d has unknown kind %q: %w", m.ID, m.Kind, outbox.ErrDrop)
	}
	if method == ics.MethodRequest && t.Status == talks.StatusCancelled {
		method = "" // never re-invite to a cancelled talk
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n%s\n", lead, t.Title, c.when(lang, t))
	if t.Location != "" {
		b.WriteString(i18n.T(lang, "mail.where", i18n.Data{"Location": t.Location}) + "\n")
	}
	if s := talks.SpeakerLine(lang, t, func(s string) string { return s }); s != "" {
		b.WriteString(s + "\n")
	}
	b.WriteString("\n" + i18n.T(lang, "mail.details", i18n.Data{"Link": c.Cal.TalkURL(t.ID)}))
	mail.Text = outbox.Letter(lang, to.Name, b.String())
	if method != "" {
		mail.Method = string(method)
		mail.Calendar = []byte(c.Cal.Invitation(lang, t, method, attendee, time.Now()))
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

// when is the talk's day and times in the series time zone, in lang.
func (c Composer) when(lang string, t talks.Talk) string {
	start, end := t.StartsAt.In(c.tz()), t.EndsAt.In(c.tz())
	return i18n.T(lang, "mail.when", i18n.Data{"Date": i18n.FullDate(lang, start), "Start": i18n.Clock(start),
		"End": i18n.Clock(end), "Zone": c.tz().String()})
}

func (c Composer) host() string {
	if u, err := url.Parse(c.Cal.BaseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "hubtalks"
}

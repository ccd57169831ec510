package schedule

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	ics "github.com/arran4/golang-ical"
	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/talks"
)

// TalkUID is a talk's iCalendar UID, "talk-{id}@{host of BASE_URL}": the same
// in every feed and invitation, so calendars update one event in place.
func (s *Schedule) TalkUID(id int64) string { return fmt.Sprintf("talk-%d@%s", id, s.host()) }

// speakerICS is the calendar of the talks a user speaks at (RFC 5545,
// METHOD:PUBLISH). Unknown user: 404; a user who speaks at nothing gets an
// empty calendar. Cancelled talks stay, as STATUS:CANCELLED, so subscribed
// calendars drop them; SEQUENCE follows talks.ical_sequence.
func (s *Schedule) speakerICS(c *fiber.Ctx) error {
	id, err := httpx.ID(c, "id")
	if err != nil {
		return err
	}
	ctx := httpx.Ctx(c)
	var name string
	err = sqlx.GetContext(ctx, s.db, &name, selectUserName, id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("speaker %d: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("load speaker %d: %w", id, err)
	}
	ts, err := s.loadTalks(ctx, selectSpeakerTalks, id)
	if err != nil {
		return err
	}
	cal := ics.NewCalendarFor("Hub Talks")
	cal.SetProductId("-//Hub Talks//" + s.cfg.Title + "//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName(fmt.Sprintf("%s – %s", s.cfg.Title, stripControl(name)))
	cal.SetXWRTimezone(s.cfg.TimeZone.String())
	cal.SetRefreshInterval("PT1H")
	for _, t := range ts {
		ev := cal.AddEvent(s.TalkUID(t.ID))
		ev.SetDtStampTime(t.UpdatedAt.UTC())
		ev.SetModifiedAt(t.UpdatedAt.UTC())
		ev.SetSequence(t.ICalSequence)
		ev.SetStartAt(t.StartsAt.UTC())
		ev.SetEndAt(t.EndsAt.UTC())
		ev.SetSummary(stripControl(t.Title))
		ev.SetLocation(t.room())
		ev.SetURL(s.talkURL(t.ID))
		desc := strings.TrimSpace(stripControl(t.Abstract))
		if desc != "" {
			desc += "\n\n"
		}
		desc += s.talkURL(t.ID)
		if t.RecordingID != nil {
			desc += "\nRecording: " + talks.RecordingFor(*t.RecordingID).URL
		}
		ev.SetDescription(desc)
		if t.Status == talks.StatusCancelled {
			ev.SetStatus(ics.ObjectStatusCancelled)
		} else {
			ev.SetStatus(ics.ObjectStatusConfirmed)
		}
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`inline; filename="speaker-%d.ics"`, id))
	return c.SendString(cal.Serialize())
}

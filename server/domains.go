package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/playlists"
	"github.com/hubtalks/hubtalks/server/qa"
	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/schedule"
	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/threads"
)

// mountDomains mounts every domain's routes on /api/v1 (accounts are mounted
// before, as their middleware authenticates every request).
func (s *Server) mountDomains(api fiber.Router) {
	// Talks, the schedule's calendar feeds, and registrations with their waitlist.
	talks.New(s.db, s.recorder, talks.CalendarConfig{BaseURL: s.cfg.BaseURL, Timezone: s.cfg.SeriesTimezone}).Routes(api)
	registrations.New(s.db, s.recorder, s.accounts).Routes(api)
	// Recordings (playlists) and open schedule exports.
	playlists.New(s.db, s.recorder).Routes(api)
	schedule.New(s.db, schedule.Config{BaseURL: s.cfg.BaseURL, TimeZone: s.cfg.SeriesTimezone}).Routes(api)
	// Live Q&A, discussion threads, and their moderation (flag queue, log).
	mod := moderation.New(s.db, s.recorder, s.limiter, s.cfg.Moderation, s.log)
	questions := qa.New(mod)
	s.app.Hooks().OnShutdown(questions.Close) // publishes vote counts still waiting
	mod.Mount(api, s.accounts)
	questions.Mount(api, s.accounts)
	threads.New(mod).Mount(api, s.accounts)
}

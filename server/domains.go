package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/live"
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
	tks := talks.New(s.db, s.recorder, talks.CalendarConfig{BaseURL: s.cfg.BaseURL, Timezone: s.cfg.SeriesTimezone})
	tks.Routes(api)
	s.talkPages = tks.Service() // the web app's talk pages carry the talk's link preview
	regs := registrations.NewService(s.db, s.recorder)
	regs.LimitChanges(s.limiter)
	tks.Service().Promote = regs.Promote // a raised capacity confirms from the waitlist
	registrations.NewHandlers(regs).Routes(api)
	s.accounts.OnErase(regs.Erase) // cancels as the user would, promoting from waitlists
	s.accounts.OnExport("registrations", regs.Export)
	// Registration messages wait for a verified address; once it is, the
	// state of each registration is sent once (not a backlog).
	s.accounts.OnVerified = func(ctx context.Context, tx *live.Tx, userID int64) error {
		return regs.SendCurrentState(ctx, tx, userID)
	}
	// Recordings (playlists) and open schedule exports.
	playlists.New(s.db, s.recorder).Routes(api)
	schedule.New(s.db, schedule.Config{BaseURL: s.cfg.BaseURL, TimeZone: s.cfg.SeriesTimezone}).Routes(api)
	// Live Q&A, discussion threads, and their moderation (flag queue, log).
	mod := moderation.New(s.db, s.recorder, s.limiter, s.cfg.Moderation, s.log)
	questions, discussion := qa.New(mod), threads.New(mod)
	s.app.Hooks().OnShutdown(questions.Close) // publishes vote counts still waiting
	moderation.NewHandlers(mod).Routes(api)
	qa.NewHandlers(questions).Routes(api)
	threads.NewHandlers(discussion).Routes(api)
	// Their part of an account's erasure and export: flags lose their
	// reporter; questions, answers, votes, threads and posts stay under the
	// anonymised author.
	s.accounts.OnErase(mod.Erase)
	s.accounts.OnExport("flags", mod.Export)
	s.accounts.OnExport("questions", questions.Export)
	s.accounts.OnExport("threads", discussion.Export)
}

package server

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/attendance"
	"github.com/hubtalks/hubtalks/server/live"
	"github.com/hubtalks/hubtalks/server/moderation"
	"github.com/hubtalks/hubtalks/server/outbox"
	"github.com/hubtalks/hubtalks/server/playlists"
	"github.com/hubtalks/hubtalks/server/polls"
	"github.com/hubtalks/hubtalks/server/qa"
	"github.com/hubtalks/hubtalks/server/registrations"
	"github.com/hubtalks/hubtalks/server/report"
	"github.com/hubtalks/hubtalks/server/schedule"
	"github.com/hubtalks/hubtalks/server/search"
	"github.com/hubtalks/hubtalks/server/speakers"
	"github.com/hubtalks/hubtalks/server/talks"
	"github.com/hubtalks/hubtalks/server/threads"
)

// Composer writes every kind of outbox message, as the worker of `hubtalks
// serve` sends them: the accounts' own (verification, password reset) and
// the registrations' (confirmations, waitlist, reminders, recordings), with
// cal's links, zone and organizer.
func Composer(cal talks.CalendarConfig) outbox.Composer {
	return outbox.ByKind{Default: registrations.Composer{Cal: cal}, Kinds: accounts.Composer{BaseURL: cal.BaseURL}.Kinds()}
}

// mountDomains mounts every domain's routes on /api/v1 (accounts are mounted
// before, as their middleware authenticates every request).
func (s *Server) mountDomains(api fiber.Router) {
	// Talks, the schedule's calendar feeds, and registrations with their waitlist.
	tks := talks.New(s.db, s.recorder, talks.CalendarConfig{BaseURL: s.cfg.BaseURL, Timezone: s.cfg.SeriesTimezone, Organizer: s.cfg.SeriesEmail})
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
	// Speakers' public profiles and photos; erasing an account removes the
	// photo with the rest of the profile (accounts' erase).
	speakers.NewHandlers(speakers.NewService(s.db, s.accounts, tks.Service())).Routes(api)
	// Recordings (playlists) and open schedule exports.
	pl, err := playlists.New(s.db, s.recorder, s.cfg.Playlists, s.log, s.registry)
	if err != nil {
		panic(fmt.Sprintf("playlists: %v", err)) // cmd/ checks PLAYLIST_FEED_URL first
	}
	pl.Routes(api)
	s.playlistSync = pl.Syncer()
	schedule.New(s.db, schedule.Config{BaseURL: s.cfg.BaseURL, TimeZone: s.cfg.SeriesTimezone, Organizer: s.cfg.SeriesEmail}).Routes(api)
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
	// One search across the series.
	search.New(s.db).Routes(api)
	s.accounts.OnErase(mod.Erase)
	s.accounts.OnExport("flags", mod.Export)
	s.accounts.OnExport("questions", questions.Export)
	s.accounts.OnExport("threads", discussion.Export)
	// After the talk: attendance (sampled by s.tracker), certificates and
	// the staff's report.
	att := attendance.NewService(s.db, attendance.Config{TimeZone: s.cfg.SeriesTimezone, BaseURL: s.cfg.BaseURL, Now: s.cfg.Attendance.Now})
	attendance.NewHandlers(att).Routes(api)
	s.accounts.OnExport("attendance", att.Export)
	// Live polls and reactions; reactions go to the live hub, which sums
	// them per second over the instances.
	rx, _ := s.hub.(polls.Reactions)
	pls := polls.New(mod, s.cfg.Polls, rx)
	s.app.Hooks().OnShutdown(pls.Close) // publishes results still waiting
	polls.NewHandlers(pls).Routes(api)
	s.accounts.OnExport("ballots", pls.Export)
	// The staff's report; sections from other domains plug in by name.
	reports := report.NewService(s.db)
	reports.Sections["polls"] = pls.Report
	report.NewHandlers(reports).Routes(api)
}

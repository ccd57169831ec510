// Package qa is the live Q&A of a talk: questions (asked, listed, voted,
// moderated, pinned, answered), their written answers and their flags.
//
// Who may do what (api.md "Roles"): anyone reads the public questions of a
// visible talk (approved and answered ones); signed-in users ask, vote and
// flag; staff of the talk (its speakers, moderators, admins) see every
// status and moderate (approve, dismiss, restore, mark answered, pin);
// speakers of the talk, moderators and admins answer. The author of an
// anonymous question is shown to moderators and admins only — not to
// speakers, and never in live events. Pending and dismissed questions are
// staff-only: a non-staff caller gets 404 for them, and asking the list for
// those statuses gets 403. Events follow the channel rule of package
// moderation.
package qa

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/httpx"
	"github.com/hubtalks/hubtalks/server/moderation"
)

// Limits on user text, in characters after trimming.
const (
	MaxQuestion = 500
	MaxAnswer   = 5000
)

// Domain is the Q&A domain.
type Domain struct {
	mod   *moderation.Moderation
	db    *sqlx.DB
	votes *coalescer
}

// New builds the Q&A domain on the shared moderation domain.
func New(mod *moderation.Moderation) *Domain {
	d := &Domain{mod: mod, db: mod.DB}
	d.votes = newCoalescer(mod.Cfg.VoteWindow, d.flushVotes, func(id int64, err error) {
		mod.Log.Warn("publish votes failed", "question_id", id, "err", err)
	})
	return d
}

// Close publishes the vote counts still waiting for their window; the
// server calls it on shutdown.
func (d *Domain) Close() error { return d.votes.Close() }

// Mount adds the Q&A routes, and the domain's part of account export.
// Erasure needs nothing here: questions, answers and votes stay (the author
// row itself is anonymised by accounts) so that counts stay right.
func (d *Domain) Mount(api fiber.Router, acc *accounts.Accounts) {
	api.Get("/talks/:id/questions", d.list)
	api.Post("/talks/:id/questions", httpx.RequireUser, d.ask)
	api.Put("/questions/:id/vote", httpx.RequireUser, d.vote)
	api.Delete("/questions/:id/vote", httpx.RequireUser, d.unvote)
	api.Patch("/questions/:id", httpx.RequireUser, d.patch)
	api.Post("/questions/:id/answers", httpx.RequireUser, d.answer)
	api.Post("/questions/:id/flags", httpx.RequireUser, d.flag)
	if acc != nil {
		acc.OnExport("questions", d.export)
	}
}

type export struct {
	Questions []exportedQuestion `json:"questions"`
	Answers   []exportedAnswer   `json:"answers"`
	Votes     []exportedVote     `json:"votes"`
}

func (d *Domain) export(ctx context.Context, db *sqlx.DB, userID int64) (any, error) {
	out := export{Questions: []exportedQuestion{}, Answers: []exportedAnswer{}, Votes: []exportedVote{}}
	if err := db.SelectContext(ctx, &out.Questions, exportQuestions, userID); err != nil {
		return nil, fmt.Errorf("export questions: %w", err)
	}
	if err := db.SelectContext(ctx, &out.Answers, exportAnswers, userID); err != nil {
		return nil, fmt.Errorf("export answers: %w", err)
	}
	if err := db.SelectContext(ctx, &out.Votes, exportVotes, userID); err != nil {
		return nil, fmt.Errorf("export votes: %w", err)
	}
	return out, nil
}

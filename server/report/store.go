package report

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/dbx"
)

const (
	selectRegistrations = `SELECT count(*) FILTER (WHERE status IN ('confirmed', 'waitlisted')) AS registered,
			count(*) FILTER (WHERE status = 'confirmed') AS confirmed,
			count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted
		FROM registrations WHERE talk_id = $1`
	selectViewers = `SELECT coalesce(max(viewers), 0) AS peak, coalesce(avg(viewers), 0)::float8 AS average
		FROM talk_viewers WHERE talk_id = $1`
	selectQuestions = `SELECT count(*) AS asked,
			count(*) FILTER (WHERE status = 'pending') AS pending,
			count(*) FILTER (WHERE status = 'approved') AS approved,
			count(*) FILTER (WHERE status = 'answered') AS answered,
			count(*) FILTER (WHERE status = 'dismissed') AS dismissed
		FROM questions WHERE talk_id = $1`
	selectTopQuestions = `SELECT id, body, votes, status FROM questions
		WHERE talk_id = $1 AND status <> 'dismissed'
		ORDER BY votes DESC, created_at, id LIMIT $2`
	selectFlags = `SELECT count(*) AS total,
			count(*) FILTER (WHERE status = 'open') AS open,
			count(*) FILTER (WHERE status = 'resolved') AS resolved,
			count(*) FILTER (WHERE status = 'dismissed') AS dismissed
		FROM flags WHERE talk_id = $1`
)

// topQuestions is how many questions the report lists.
const topQuestions = 10

// Store is the report's SQL: read-only, over the other domains' tables.
type Store struct{}

func (Store) registrations(ctx context.Context, q sqlx.QueryerContext, talkID int64) (Registrations, error) {
	return dbx.Get[Registrations](ctx, q, "report registrations", selectRegistrations, talkID)
}

func (Store) viewers(ctx context.Context, q sqlx.QueryerContext, talkID int64) (Viewers, error) {
	return dbx.Get[Viewers](ctx, q, "report viewers", selectViewers, talkID)
}

func (Store) questions(ctx context.Context, q sqlx.QueryerContext, talkID int64) (Questions, []TopQuestion, error) {
	qs, err := dbx.Get[Questions](ctx, q, "report questions", selectQuestions, talkID)
	if err != nil {
		return qs, nil, err
	}
	top, err := dbx.Select[TopQuestion](ctx, q, "report top questions", selectTopQuestions, talkID, topQuestions)
	if top == nil {
		top = []TopQuestion{}
	}
	return qs, top, err
}

func (Store) flags(ctx context.Context, q sqlx.QueryerContext, talkID int64) (Flags, error) {
	return dbx.Get[Flags](ctx, q, "report flags", selectFlags, talkID)
}

package moderation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/dbx"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/talks"
)

const (
	selectTalk = `SELECT ` + talks.AccessColumns + `, k.qa_open, k.qa_moderation, k.qa_allow_anonymous
		FROM talks k WHERE k.id = $1`
	lockTalk = `SELECT id AS talk_id, status AS talk_status FROM talks WHERE id = $1 FOR UPDATE`

	insertLog = `INSERT INTO moderation_log (talk_id, actor_id, action, target_type, target_id, reason, created_at)
		VALUES (:talk_id, :actor_id, :action, :target_type, :target_id, :reason, :created_at)`
	selectLog = `SELECT l.id, l.talk_id, l.actor_id, coalesce(u.display_name, '') AS actor_name, l.action,
			l.target_type, l.target_id, l.reason, l.created_at
		FROM moderation_log l LEFT JOIN users u ON u.id = l.actor_id
		WHERE l.talk_id = $1 AND ($2::bigint = 0 OR l.id < $2)
		ORDER BY l.id DESC LIMIT $3`

	flagColumns = `f.id, f.talk_id, f.target_type, f.target_id, f.reporter_id,
		coalesce(u.display_name, '') AS reporter_name, f.reason, f.status, f.created_at, f.updated_at`
	insertFlag = `WITH ins AS (
			INSERT INTO flags (talk_id, target_type, target_id, reporter_id, reason, created_at, updated_at)
			VALUES (:talk_id, :target_type, :target_id, :reporter_id, :reason, :created_at, :created_at)
			ON CONFLICT (target_type, target_id, reporter_id) DO NOTHING
			RETURNING *)
		SELECT ` + flagColumns + ` FROM ins f LEFT JOIN users u ON u.id = f.reporter_id`
	selectFlagByReporter = `SELECT ` + flagColumns + ` FROM flags f LEFT JOIN users u ON u.id = f.reporter_id
		WHERE f.target_type = $1 AND f.target_id = $2 AND f.reporter_id = $3`
	// A flag for the moderators' queue: with its target as they see it now.
	queueFlag = `SELECT ` + flagColumns + `, true AS target_known, coalesce(tk.title, '') AS target_talk_title,
			coalesce(tq.body, tp.body, '') AS target_body, coalesce(ta.id, 0) AS target_author_id,
			coalesce(ta.display_name, '') AS target_author_name, coalesce(tp.thread_id, 0) AS target_thread_id,
			coalesce(tq.status, CASE WHEN tp.hidden THEN 'hidden' WHEN tp.id IS NOT NULL THEN 'visible' END, 'deleted') AS target_status
		FROM flags f LEFT JOIN users u ON u.id = f.reporter_id
			LEFT JOIN questions tq ON f.target_type = 'question' AND tq.id = f.target_id
			LEFT JOIN posts tp ON f.target_type = 'post' AND tp.id = f.target_id
			LEFT JOIN talks tk ON tk.id = f.talk_id
			LEFT JOIN users ta ON ta.id = coalesce(tq.author_id, tp.author_id)`
	selectFlagForUpdate = queueFlag + ` WHERE f.id = $1 FOR UPDATE OF f`
	updateFlagStatus    = `UPDATE flags SET status = $2, updated_at = $3 WHERE id = $1`
	selectFlags         = queueFlag + ` WHERE f.status = $1 AND f.id > $2 ORDER BY f.id LIMIT $3`

	clearReporter = `UPDATE flags SET reporter_id = NULL WHERE reporter_id = $1`
	selectMyFlags = `SELECT id, talk_id, target_type, target_id, reason, status, created_at FROM flags WHERE reporter_id = $1 ORDER BY id`
)

// Store is the moderation's SQL: the log, the flags, and the talk as the
// content domains read it.
type Store struct{}

// Talk reads talk talkID as u sees it; a talk that does not exist is not
// found.
func (Store) Talk(ctx context.Context, q sqlx.QueryerContext, talkID int64, u *domain.User) (Talk, error) {
	return GetItem[Talk](ctx, q, "talk", talkID, u, selectTalk)
}

// LockTalk takes the talk's row lock for the rest of tx and reads its id
// and status (an Access of nobody).
func (Store) LockTalk(ctx context.Context, tx sqlx.QueryerContext, talkID int64) (talks.Access, error) {
	return dbx.Get[talks.Access](ctx, tx, fmt.Sprintf("lock talk %d", talkID), lockTalk, talkID)
}

// logRow is a log entry as stored: its API fields, its actor and target.
type logRow struct {
	LogEntry
	ActorID    sql.NullInt64 `db:"actor_id"`
	ActorName  string        `db:"actor_name"`
	TargetType string        `db:"target_type"`
	TargetID   int64         `db:"target_id"`
}

func (r logRow) entry() LogEntry {
	e := r.LogEntry
	e.Target, e.CreatedAt = Target{r.TargetType, r.TargetID}, e.CreatedAt.UTC()
	if r.ActorID.Valid {
		e.Actor = &Person{ID: r.ActorID.Int64, DisplayName: r.ActorName}
	}
	return e
}

// InsertLog writes a at time at to the moderation log.
func (Store) InsertLog(ctx context.Context, q sqlx.ExtContext, a Action, at time.Time) error {
	r := logRow{LogEntry: LogEntry{TalkID: a.TalkID, Action: a.Action, Reason: a.Reason, CreatedAt: at},
		ActorID: sql.NullInt64{Int64: a.ActorID, Valid: a.ActorID != 0}, TargetType: a.Target.Type, TargetID: a.Target.ID}
	if _, err := sqlx.NamedExecContext(ctx, q, insertLog, r); err != nil {
		return fmt.Errorf("record %s on %s %d: %w", a.Action, a.Target.Type, a.Target.ID, err)
	}
	return nil
}

// Log reads limit entries of a talk's log, newest first, before entry
// before (0: from the newest).
func (Store) Log(ctx context.Context, q sqlx.QueryerContext, talkID, before int64, limit int) ([]logRow, error) {
	var rows []logRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectLog, talkID, before, limit); err != nil {
		return nil, fmt.Errorf("list moderation log of talk %d: %w", talkID, err)
	}
	return rows, nil
}

// flagRow is a flag as stored: its API fields, its target and reporter.
type flagRow struct {
	Flag
	TargetType   string        `db:"target_type"`
	TargetID     int64         `db:"target_id"`
	ReporterID   sql.NullInt64 `db:"reporter_id"`
	ReporterName string        `db:"reporter_name"`
	// The target as moderators see it (queueFlag only: TargetKnown).
	TargetKnown      bool   `db:"target_known"`
	TargetTalkTitle  string `db:"target_talk_title"`
	TargetBody       string `db:"target_body"`
	TargetAuthorID   int64  `db:"target_author_id"`
	TargetAuthorName string `db:"target_author_name"`
	TargetThreadID   int64  `db:"target_thread_id"`
	TargetStatus     string `db:"target_status"`
}

func (r flagRow) flag() Flag {
	f := r.Flag
	f.Target, f.CreatedAt, f.UpdatedAt = FlagTarget{Target: Target{r.TargetType, r.TargetID}}, f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	if r.TargetKnown {
		body := r.TargetBody
		f.Target.TalkID, f.Target.TalkTitle, f.Target.ThreadID, f.Target.Body, f.Target.Status = f.TalkID, r.TargetTalkTitle, r.TargetThreadID, &body, r.TargetStatus
		if r.TargetAuthorID != 0 {
			f.Target.Author = &Person{ID: r.TargetAuthorID, DisplayName: r.TargetAuthorName}
		}
	}
	if r.ReporterID.Valid {
		f.Reporter = &Person{ID: r.ReporterID.Int64, DisplayName: r.ReporterName}
	}
	return f
}

// InsertFlag files report r once per reporter and target: created is false
// when the reporter had flagged the target before, and then the row is
// their earlier flag.
func (Store) InsertFlag(ctx context.Context, q sqlx.ExtContext, r flagRow) (row flagRow, created bool, err error) {
	what := fmt.Sprintf("flag %s %d", r.TargetType, r.TargetID)
	row, err = dbx.GetNamed[flagRow](ctx, q, what, insertFlag, r)
	if errors.Is(err, sql.ErrNoRows) {
		if err := sqlx.GetContext(ctx, q, &row, selectFlagByReporter, r.TargetType, r.TargetID, r.ReporterID); err != nil {
			return row, false, fmt.Errorf("load flag on %s %d: %w", r.TargetType, r.TargetID, err)
		}
		return row, false, nil
	}
	return row, err == nil, err
}

// LockFlag reads flag id under its row lock.
func (Store) LockFlag(ctx context.Context, q sqlx.QueryerContext, id int64) (flagRow, error) {
	return dbx.GetOne[flagRow](ctx, q, Name("flag", id), selectFlagForUpdate, id)
}

// SetFlagStatus changes a flag's status at time at.
func (Store) SetFlagStatus(ctx context.Context, q sqlx.ExecerContext, id int64, status string, at time.Time) error {
	return dbx.Exec(ctx, q, fmt.Sprintf("update flag %d", id), updateFlagStatus, id, status, at)
}

// Flags reads limit flags in status, oldest first, after flag after.
func (Store) Flags(ctx context.Context, q sqlx.QueryerContext, status string, after int64, limit int) ([]flagRow, error) {
	var rows []flagRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectFlags, status, after, limit); err != nil {
		return nil, fmt.Errorf("list %s flags: %w", status, err)
	}
	return rows, nil
}

// ClearReporter takes userID's name off every flag they raised.
func (Store) ClearReporter(ctx context.Context, q sqlx.ExecerContext, userID int64) error {
	if _, err := q.ExecContext(ctx, clearReporter, userID); err != nil {
		return fmt.Errorf("clear flag reporter %d: %w", userID, err)
	}
	return nil
}

// Export reads the flags userID raised.
func (Store) Export(ctx context.Context, q sqlx.QueryerContext, userID int64) (json.RawMessage, error) {
	return ExportRows(ctx, q, "flags", selectMyFlags, userID)
}

// What the stores of qa and threads share with this one: single rows that
// may not be there, named parameters, keyset pages and export lists.

// NotFound says that item id of kind (a talk, question, thread…) is not
// there, or not for the caller.
func NotFound(kind string, id int64) error {
	return fmt.Errorf("%s %d: %w", kind, id, domain.ErrNotFound)
}

// Name names item id of kind ("question 5") in errors: dbx.GetOne's
// "not found" says which.
func Name(kind string, id int64) string { return fmt.Sprintf("%s %d", kind, id) }

// GetItem reads one talk, question, thread or post (kind) for caller u
// with query, whose $1 is the item's id and $2 the caller's (0 for nobody),
// as talks.AccessColumns wants it, into a T that embeds talks.Access for u;
// an item that does not exist is not found.
func GetItem[T any, PT interface {
	*T
	SetUser(*domain.User)
}](ctx context.Context, q sqlx.QueryerContext, kind string, id int64, u *domain.User, query string) (T, error) {
	v, err := dbx.GetOne[T](ctx, q, Name(kind, id), query, id, domain.IDOf(u))
	PT(&v).SetUser(u)
	return v, err
}

// ExportList is one list of an account's data export: its key, and its
// query, whose $1 is the user.
type ExportList struct{ Key, Query string }

// ExportLists reads lists for userID as one JSON object of the lists, in
// order (see ExportRows).
func ExportLists(ctx context.Context, q sqlx.QueryerContext, userID int64, lists ...ExportList) (json.RawMessage, error) {
	out := []byte{'{'}
	for i, l := range lists {
		rows, err := ExportRows(ctx, q, l.Key, l.Query, userID)
		if err != nil {
			return nil, err
		}
		key, _ := json.Marshal(l.Key)
		if i > 0 {
			out = append(out, ',')
		}
		out = append(append(append(out, key...), ':'), rows...)
	}
	return append(out, '}'), nil
}

// ExportRows reads the rows of query ($1 the user) as a JSON array of
// objects whose keys are the query's columns, in order, and whose values
// are encoded as a struct of the column's Go type would encode them: the
// query alone says what an export holds.
func ExportRows(ctx context.Context, q sqlx.QueryerContext, what, query string, userID int64) (json.RawMessage, error) {
	rows, err := q.QueryxContext(ctx, query, userID)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", what, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", what, err)
	}
	out := []byte{'['}
	for n := 0; rows.Next(); n++ {
		vals, err := rows.SliceScan()
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", what, err)
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, '{')
		for i, col := range cols {
			k, _ := json.Marshal(col)
			v, err := json.Marshal(vals[i])
			if err != nil {
				return nil, fmt.Errorf("export %s.%s: %w", what, col, err)
			}
			if i > 0 {
				out = append(out, ',')
			}
			out = append(append(append(out, k...), ':'), v...)
		}
		out = append(out, '}')
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export %s: %w", what, err)
	}
	return append(out, ']'), nil
}

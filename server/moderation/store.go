package moderation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/live"
)

const (
	lockTalk = `SELECT status FROM talks WHERE id = $1 FOR UPDATE`

	insertLog = `INSERT INTO moderation_log (talk_id, actor_id, action, target_type, target_id, reason, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	selectLog = `SELECT l.id, l.talk_id, l.actor_id, coalesce(u.display_name, '') AS actor_name, l.action,
			l.target_type, l.target_id, l.reason, l.created_at
		FROM moderation_log l LEFT JOIN users u ON u.id = l.actor_id
		WHERE l.talk_id = $1 AND ($2::bigint = 0 OR l.id < $2)
		ORDER BY l.id DESC LIMIT $3`

	flagColumns = `f.id, f.talk_id, f.target_type, f.target_id, f.reporter_id,
		coalesce(u.display_name, '') AS reporter_name, f.reason, f.status, f.created_at, f.updated_at`
	insertFlag = `WITH ins AS (
			INSERT INTO flags (talk_id, target_type, target_id, reporter_id, reason, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)
			ON CONFLICT (target_type, target_id, reporter_id) DO NOTHING
			RETURNING *)
		SELECT ` + flagColumns + ` FROM ins f LEFT JOIN users u ON u.id = f.reporter_id`
	selectFlagByReporter = `SELECT ` + flagColumns + ` FROM flags f LEFT JOIN users u ON u.id = f.reporter_id
		WHERE f.target_type = $1 AND f.target_id = $2 AND f.reporter_id = $3`
	selectFlagForUpdate = `SELECT ` + flagColumns + ` FROM flags f LEFT JOIN users u ON u.id = f.reporter_id
		WHERE f.id = $1 FOR UPDATE OF f`
	updateFlagStatus = `UPDATE flags SET status = $2, updated_at = $3 WHERE id = $1`
	selectFlags      = `SELECT ` + flagColumns + ` FROM flags f LEFT JOIN users u ON u.id = f.reporter_id
		WHERE f.status = $1 AND f.id > $2 ORDER BY f.id LIMIT $3`

	clearReporter = `UPDATE flags SET reporter_id = NULL WHERE reporter_id = $1`
	selectMyFlags = `SELECT id, talk_id, target_type, target_id, reason, status, created_at FROM flags WHERE reporter_id = $1 ORDER BY id`
)

// Target names what an action or a flag is about.
type Target struct {
	Type string `json:"type"` // question, post, thread, flag
	ID   int64  `json:"id"`
}

// Action is one staff action for the log. ActorID 0 is the system.
type Action struct {
	TalkID  int64
	ActorID int64
	Action  string
	Target  Target
	Reason  string
}

// Record writes a to the moderation log inside tx: an action and its log
// entry exist together or not at all.
func (m *Moderation) Record(ctx context.Context, tx sqlx.ExecerContext, a Action) error {
	var actor sql.NullInt64
	if a.ActorID != 0 {
		actor = sql.NullInt64{Int64: a.ActorID, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, insertLog, a.TalkID, actor, a.Action, a.Target.Type, a.Target.ID, a.Reason, m.Now()); err != nil {
		return fmt.Errorf("record %s on %s %d: %w", a.Action, a.Target.Type, a.Target.ID, err)
	}
	return nil
}

// LogEntry is a moderation log entry as the API shows it.
type LogEntry struct {
	ID        int64     `json:"id"`
	TalkID    int64     `json:"talk_id"`
	Actor     *Person   `json:"actor"` // null: the system (blocked words)
	Action    string    `json:"action"`
	Target    Target    `json:"target"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

type logRow struct {
	ID         int64         `db:"id"`
	TalkID     int64         `db:"talk_id"`
	ActorID    sql.NullInt64 `db:"actor_id"`
	ActorName  string        `db:"actor_name"`
	Action     string        `db:"action"`
	TargetType string        `db:"target_type"`
	TargetID   int64         `db:"target_id"`
	Reason     string        `db:"reason"`
	CreatedAt  time.Time     `db:"created_at"`
}

func (r logRow) entry() LogEntry {
	e := LogEntry{ID: r.ID, TalkID: r.TalkID, Action: r.Action, Target: Target{r.TargetType, r.TargetID}, Reason: r.Reason, CreatedAt: r.CreatedAt.UTC()}
	if r.ActorID.Valid {
		e.Actor = &Person{ID: r.ActorID.Int64, DisplayName: r.ActorName}
	}
	return e
}

func (m *Moderation) logPage(ctx context.Context, talkID, before int64, limit int) ([]LogEntry, error) {
	var rows []logRow
	if err := m.DB.SelectContext(ctx, &rows, selectLog, talkID, before, limit); err != nil {
		return nil, fmt.Errorf("list moderation log of talk %d: %w", talkID, err)
	}
	out := make([]LogEntry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, nil
}

// Flag is a report as the API shows it.
type Flag struct {
	ID        int64     `json:"id"`
	TalkID    int64     `json:"talk_id"`
	Target    Target    `json:"target"`
	Reason    string    `json:"reason"`
	Status    string    `json:"status"`
	Reporter  *Person   `json:"reporter"` // null once the reporter's account is erased
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// flagEvent is a flag as the staff channel carries it: without its
// reporter (speakers follow that channel too; moderators see who reported
// over HTTP). The outer field shadows Flag's in JSON.
type flagEvent struct {
	Flag
	Reporter *Person `json:"reporter,omitempty"`
}

type flagRow struct {
	ID           int64         `db:"id"`
	TalkID       int64         `db:"talk_id"`
	TargetType   string        `db:"target_type"`
	TargetID     int64         `db:"target_id"`
	ReporterID   sql.NullInt64 `db:"reporter_id"`
	ReporterName string        `db:"reporter_name"`
	Reason       string        `db:"reason"`
	Status       string        `db:"status"`
	CreatedAt    time.Time     `db:"created_at"`
	UpdatedAt    time.Time     `db:"updated_at"`
}

func (r flagRow) flag() Flag {
	f := Flag{ID: r.ID, TalkID: r.TalkID, Target: Target{r.TargetType, r.TargetID}, Reason: r.Reason, Status: r.Status,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.ReporterID.Valid {
		f.Reporter = &Person{ID: r.ReporterID.Int64, DisplayName: r.ReporterName}
	}
	return f
}

// createFlag files a report once per reporter and target; a repeat returns
// the existing flag with created false and emits nothing.
func (m *Moderation) createFlag(ctx context.Context, talkID int64, target Target, reporterID int64, reason string) (Flag, bool, error) {
	var out Flag
	created := false
	err := m.Recorder.InTx(ctx, func(tx *live.Tx) error {
		var r flagRow
		err := tx.GetContext(ctx, &r, insertFlag, talkID, target.Type, target.ID, reporterID, reason, m.Now())
		if errors.Is(err, sql.ErrNoRows) {
			if err := tx.GetContext(ctx, &r, selectFlagByReporter, target.Type, target.ID, reporterID); err != nil {
				return fmt.Errorf("load flag on %s %d: %w", target.Type, target.ID, err)
			}
			out = r.flag()
			return nil
		}
		if err != nil {
			return fmt.Errorf("flag %s %d: %w", target.Type, target.ID, err)
		}
		out, created = r.flag(), true
		return tx.Emit(live.StaffChannel(talkID), "flag.created", live.Subject("flag", out.ID), flagEvent{Flag: out})
	})
	return out, created, err
}

func (m *Moderation) flagPage(ctx context.Context, status string, after int64, limit int) ([]Flag, error) {
	var rows []flagRow
	if err := m.DB.SelectContext(ctx, &rows, selectFlags, status, after, limit); err != nil {
		return nil, fmt.Errorf("list %s flags: %w", status, err)
	}
	out := make([]Flag, len(rows))
	for i, r := range rows {
		out[i] = r.flag()
	}
	return out, nil
}

// setFlagStatus closes a flag as resolved or dismissed, logged in the same
// transaction; setting the status it already has changes nothing.
func (m *Moderation) setFlagStatus(ctx context.Context, id int64, status string, actorID int64, reason string) (Flag, error) {
	var out Flag
	err := m.Recorder.InTx(ctx, func(tx *live.Tx) error {
		var r flagRow
		err := tx.GetContext(ctx, &r, selectFlagForUpdate, id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("flag %d: %w", id, domain.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("load flag %d: %w", id, err)
		}
		if r.Status == status {
			out = r.flag()
			return nil
		}
		now := m.Now()
		if _, err := tx.ExecContext(ctx, updateFlagStatus, id, status, now); err != nil {
			return fmt.Errorf("update flag %d: %w", id, err)
		}
		action := map[string]string{"resolved": "resolve_flag", "dismissed": "dismiss_flag", "open": "reopen_flag"}[status]
		if err := m.Record(ctx, tx, Action{TalkID: r.TalkID, ActorID: actorID, Action: action, Target: Target{"flag", id}, Reason: reason}); err != nil {
			return err
		}
		r.Status, r.UpdatedAt = status, now
		out = r.flag()
		return nil
	})
	return out, err
}

type exportedFlag struct {
	ID         int64     `json:"id" db:"id"`
	TalkID     int64     `json:"talk_id" db:"talk_id"`
	TargetType string    `json:"target_type" db:"target_type"`
	TargetID   int64     `json:"target_id" db:"target_id"`
	Reason     string    `json:"reason" db:"reason"`
	Status     string    `json:"status" db:"status"`
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
}

package realtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A replay shows what HTTP shows now (live-protocol.md, "What a replay may
// show"): when a subject stops being visible on a channel, or a person is
// erased, the stored events are rewritten in the same transaction. Events
// keep their seq, so the stream stays gap-free; instances learn of the
// rewrite through a Redaction and drop what they cached before it.

const (
	// restateEvents rewrites every stored event of the given subjects on a
	// channel (those not already in that form) and counts the rewrite.
	restateEvents = `
WITH r AS (
    UPDATE events e SET type = coalesce(nullif(r.type, ''), e.type), data = r.data::json
    FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS r (subject, type, data, of_type)
    WHERE e.channel = $1 AND e.subject = r.subject AND (r.of_type = '' OR e.type = r.of_type)
      AND (e.type <> coalesce(nullif(r.type, ''), e.type) OR e.data::text <> r.data)
    RETURNING e.seq
)
INSERT INTO channel_redactions (channel, n)
SELECT $1, 1 WHERE EXISTS (SELECT FROM r)
ON CONFLICT (channel) DO UPDATE SET n = channel_redactions.n + 1
RETURNING n, (SELECT seq FROM channel_seqs WHERE channel = $1)`

	// renamePerson rewrites the name of a person in every event naming them
	// and counts the rewrite of each channel touched, in channel order (two
	// erasures lock the counters in the same order).
	renamePerson = `
WITH r AS (
    UPDATE events SET data = event_rename_person(data::jsonb, $1, $2)::json
    WHERE people @> ARRAY[$1::bigint]
    RETURNING channel
)
INSERT INTO channel_redactions AS c (channel, n)
SELECT DISTINCT channel, 1 FROM r ORDER BY channel
ON CONFLICT (channel) DO UPDATE SET n = c.n + 1
RETURNING c.channel, c.n, (SELECT seq FROM channel_seqs s WHERE s.channel = c.channel)`
)

// Restatement is the form every stored event of Subject takes on a channel
// from now on: the data that channel's viewers see now (the resource, or a
// tombstone such as the resource with its text emptied), and the event type
// when it changes too (question.removed {"id":…}); an empty Type keeps each
// event's own. OfType limits it to the subject's events of that type (a
// question's own events, not the answers and votes that share its subject).
type Restatement struct {
	Subject string
	Type    string
	Data    any
	OfType  string
}

// Redaction tells instances that the stored events of Channel up to Head
// were rewritten (the channel's Count-th rewrite): what they cached before
// is stale.
type Redaction struct {
	Channel string
	Count   int64
	Head    int64
}

// Restate rewrites the stored events of the given subjects on channel into
// their restatements, inside the caller's transaction. It returns the
// Redaction to hand to Hub.Redacted after commit, or ok false when no stored
// event changed.
func (l *Log) Restate(ctx context.Context, tx sqlx.QueryerContext, channel string, rs []Restatement) (Redaction, bool, error) {
	if len(rs) == 0 {
		return Redaction{}, false, nil
	}
	subjects, types, datas, ofTypes := make([]string, len(rs)), make([]string, len(rs)), make([]string, len(rs)), make([]string, len(rs))
	for i, r := range rs {
		raw, err := encodeData(r.Data)
		if err != nil {
			return Redaction{}, false, fmt.Errorf("restate %s on %s: %w", r.Subject, channel, err)
		}
		subjects[i], types[i], datas[i], ofTypes[i] = r.Subject, r.Type, string(raw), r.OfType
	}
	red := Redaction{Channel: channel}
	var head sql.NullInt64
	err := tx.QueryRowxContext(ctx, restateEvents, channel, pq.Array(subjects), pq.Array(types), pq.Array(datas), pq.Array(ofTypes)).Scan(&red.Count, &head)
	if errors.Is(err, sql.ErrNoRows) {
		return Redaction{}, false, nil
	}
	if err != nil {
		return Redaction{}, false, fmt.Errorf("restate %d subjects on %s: %w", len(rs), channel, err)
	}
	red.Head = head.Int64
	return red, true, nil
}

// RenamePerson gives user userID the display name name in every stored
// event that names them (account erasure), inside the caller's transaction.
// It returns one Redaction per channel touched, for Hub.Redacted after
// commit.
func (l *Log) RenamePerson(ctx context.Context, tx sqlx.QueryerContext, userID int64, name string) ([]Redaction, error) {
	rows, err := tx.QueryxContext(ctx, renamePerson, userID, name)
	if err != nil {
		return nil, fmt.Errorf("rename person %d in the event log: %w", userID, err)
	}
	defer rows.Close()
	var out []Redaction
	for rows.Next() {
		var r Redaction
		var head sql.NullInt64
		if err := rows.Scan(&r.Channel, &r.Count, &head); err != nil {
			return nil, fmt.Errorf("rename person %d in the event log: %w", userID, err)
		}
		r.Head = head.Int64
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rename person %d in the event log: %w", userID, err)
	}
	return out, nil
}

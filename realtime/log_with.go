package realtime

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// appendAlong is appendToChannels after a caller's data-modifying CTEs, one
// of them named along: the events are appended only when along returns a
// row, so the change and its events are one statement, written together or
// not at all. Its parameters are named; the caller's must not be called
// channels, types, subjects or data, nor its CTEs d or s.
const appendAlong = `,
d AS (
    SELECT * FROM unnest(CAST(:channels AS text[]), CAST(:types AS text[]), CAST(:subjects AS text[]), CAST(:data AS text[]))
        WITH ORDINALITY AS d(channel, type, subject, data, n)
    WHERE EXISTS (SELECT FROM along)
), s AS (
    INSERT INTO channel_seqs (channel, seq) SELECT channel, 1 FROM d ORDER BY n
    ON CONFLICT (channel) DO UPDATE SET seq = channel_seqs.seq + 1
    RETURNING channel, seq
)
INSERT INTO events (channel, seq, type, subject, data)
SELECT d.channel, s.seq, d.type, d.subject, CAST(d.data AS json) FROM d JOIN s USING (channel)
RETURNING channel, seq, created_at`

// Along is a change written in the statement that appends its events: CTEs
// ("a AS (…), along AS (…)") with named parameters (:name) taken from Args.
type Along struct {
	CTEs string
	Args map[string]any
}

// AppendAllAlong runs a's change and appends drafts (AppendAll's rules) in
// one statement, so that without a transaction of the caller's both are
// stored or neither is. It returns no events, and no error, when along
// returned no row (a change that found it had nothing to do).
func (l *Log) AppendAllAlong(ctx context.Context, q sqlx.QueryerContext, a Along, drafts []Draft) ([]Event, error) {
	cols, err := columnsOf(drafts)
	if err != nil {
		return nil, err
	}
	args := make(map[string]any, len(a.Args)+4)
	for k, v := range a.Args {
		args[k] = v
	}
	args["channels"], args["types"], args["subjects"], args["data"] = cols.channels, cols.types, cols.subjects, cols.data
	query, bound, err := sqlx.Named("WITH "+a.CTEs+appendAlong, args)
	if err != nil {
		return nil, fmt.Errorf("append events to %v: %w", cols.channels, err)
	}
	rows, err := q.QueryxContext(ctx, sqlx.Rebind(sqlx.DOLLAR, query), bound...)
	if err != nil {
		return nil, fmt.Errorf("append events to %v: %w", cols.channels, err)
	}
	return cols.scan(rows)
}

-- Live event log: every event a client may need to catch up on, with a
-- gap-free per-channel sequence number assigned where it is stored.
--
-- channel_seqs holds the last seq handed out per channel. Appending an event
-- bumps it with INSERT … ON CONFLICT DO UPDATE … RETURNING inside the
-- writer's transaction: the row lock serialises writers of one channel until
-- commit (so commit order equals seq order), and a rollback rolls the
-- counter back with the event (so there are no gaps).
CREATE TABLE channel_seqs (
    channel text PRIMARY KEY,
    seq     bigint NOT NULL CHECK (seq > 0)
);

-- data is json, not jsonb: it keeps the exact text the writer encoded, so a
-- replayed event is byte-identical to the live one.
CREATE TABLE events (
    channel    text NOT NULL,
    seq        bigint NOT NULL,
    type       text NOT NULL,
    data       json NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (channel, seq)
);
-- Retention pruning walks events by age.
CREATE INDEX events_created_at_idx ON events (created_at);

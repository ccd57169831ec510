-- After the talk: attendance from live presence, certificates of
-- attendance, "the recording is up" once per talk, and the per-user
-- notification settings the outbox honours.

-- The live session as it happened (set by POST /talks/{id}/status), the
-- share of it a participant must attend for a certificate, and when the
-- registrants were told that the recording is up (once per talk, ever).
ALTER TABLE talks
    ADD COLUMN IF NOT EXISTS live_started_at timestamptz,
    ADD COLUMN IF NOT EXISTS live_ended_at timestamptz,
    ADD COLUMN certificate_min_share numeric(3, 2) NOT NULL DEFAULT 0.5
        CHECK (certificate_min_share > 0 AND certificate_min_share <= 1),
    ADD COLUMN recording_notified_at timestamptz;

-- Messages a user may turn off (PATCH /me {notifications}); the outbox
-- drops them at send time. Confirmations, cancellations and account
-- messages cannot be turned off.
ALTER TABLE users
    ADD COLUMN notify_reminders boolean NOT NULL DEFAULT true,
    ADD COLUMN notify_recording boolean NOT NULL DEFAULT true;

-- Attendance: the minutes (Unix time / 60) in which a signed-in user was
-- seen in a talk's live room while it was live, by any instance, in any
-- tab. Each instance samples its own sockets and adds the minutes it saw in
-- one multi-row upsert per flush; the union is idempotent, so two
-- instances (or a repeated flush) never count a minute twice. Minutes
-- present are derived from the set: runs merged, gaps under 2 minutes
-- bridged.
CREATE TABLE attendance (
    talk_id    bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    minutes    integer[] NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    PRIMARY KEY (talk_id, user_id)
);
CREATE INDEX attendance_user_idx ON attendance (user_id);

-- Certificates of attendance, made on the first request and kept so that
-- the verification code stays the same. The code is 128 random bits.
CREATE TABLE certificates (
    code       text PRIMARY KEY,
    talk_id    bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    minutes    integer NOT NULL CHECK (minutes >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (talk_id, user_id)
);

-- Viewers of a talk's live room (anonymous ones too) per minute while it is
-- live: the most that any instance counted in that minute. The report's
-- peak and average come from here; written in the same flush.
CREATE TABLE talk_viewers (
    talk_id bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    minute  integer NOT NULL,
    viewers integer NOT NULL CHECK (viewers >= 0),
    PRIMARY KEY (talk_id, minute)
);

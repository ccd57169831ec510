-- Talks of the series and their speakers.
CREATE TABLE talks (
    id                     bigserial PRIMARY KEY,
    slug                   text NOT NULL UNIQUE,
    title                  text NOT NULL,
    abstract               text NOT NULL DEFAULT '',
    starts_at              timestamptz NOT NULL,
    ends_at                timestamptz NOT NULL,
    status                 text NOT NULL DEFAULT 'scheduled'
                           CHECK (status IN ('draft', 'scheduled', 'live', 'ended', 'cancelled')),
    tags                   text[] NOT NULL DEFAULT '{}',
    language               text NOT NULL DEFAULT 'en',
    format                 text NOT NULL DEFAULT 'online' CHECK (format IN ('online', 'onsite', 'hybrid')),
    location               text NOT NULL DEFAULT '',
    stream_url             text,
    capacity               integer CHECK (capacity >= 0),
    registration_closes_at timestamptz,
    qa_moderation          text NOT NULL DEFAULT 'post' CHECK (qa_moderation IN ('pre', 'post')),
    qa_allow_anonymous     boolean NOT NULL DEFAULT true,
    qa_open                boolean NOT NULL DEFAULT true,
    -- Set when a playlist item is linked to the talk (playlists domain).
    recording_video_id     text,
    -- iCalendar SEQUENCE: grows whenever the talk is rescheduled or cancelled.
    ical_sequence          integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX talks_starts_at_idx ON talks (starts_at, id);
CREATE INDEX talks_tags_idx ON talks USING gin (tags);

-- A talk's speakers are users linked to it, in the order they are listed.
CREATE TABLE talk_speakers (
    talk_id  bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    user_id  bigint NOT NULL REFERENCES users (id),
    position integer NOT NULL DEFAULT 0,
    PRIMARY KEY (talk_id, user_id)
);
CREATE INDEX talk_speakers_user_idx ON talk_speakers (user_id);

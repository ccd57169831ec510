-- Playlists of recorded talks (YouTube) and their items. Positions are a
-- gap-free sequence 1..n per playlist, kept so by the playlists domain under
-- a row lock on the playlist; the unique constraint is deferred so that
-- shifting a range of positions in one UPDATE does not trip over itself.
CREATE TABLE playlists (
    id                  bigserial PRIMARY KEY,
    title               text NOT NULL,
    description         text NOT NULL DEFAULT '',
    youtube_playlist_id text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE playlist_items (
    id            bigserial PRIMARY KEY,
    playlist_id   bigint NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    position      integer NOT NULL CHECK (position >= 1),
    video_id      text NOT NULL CHECK (video_id ~ '^[A-Za-z0-9_-]{11}$'),
    title         text NOT NULL,
    description   text NOT NULL DEFAULT '',
    published_at  timestamptz,
    thumbnail_url text,
    -- The talk this video records; talks.recording_video_id mirrors the most
    -- recently linked item of each talk.
    talk_id       bigint REFERENCES talks (id) ON DELETE SET NULL,
    linked_at     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT playlist_items_video_key UNIQUE (playlist_id, video_id),
    CONSTRAINT playlist_items_position_key UNIQUE (playlist_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX playlist_items_talk_idx ON playlist_items (talk_id) WHERE talk_id IS NOT NULL;

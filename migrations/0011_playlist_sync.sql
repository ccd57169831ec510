-- Playlists synced from YouTube by the server itself (issue 16).
--
-- sync_claimed_at is the claim of the instance that syncs a playlist now:
-- an instance takes a playlist due for sync with one UPDATE … WHERE
-- sync_claimed_at is older than the interval, so when several instances
-- serve, each playlist is fetched by one of them per interval.
-- last_synced_at is the last successful sync, last_sync_error the error of
-- the last attempt (NULL once a sync succeeds).
ALTER TABLE playlists
    ADD COLUMN last_synced_at  timestamptz,
    ADD COLUMN last_sync_error text,
    ADD COLUMN sync_claimed_at timestamptz;

-- Talks an imported video might record when its title names more than one
-- of them: listed for a moderator to confirm (a link by hand removes them).
CREATE TABLE playlist_item_candidates (
    item_id bigint NOT NULL REFERENCES playlist_items (id) ON DELETE CASCADE,
    talk_id bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    PRIMARY KEY (item_id, talk_id)
);
CREATE INDEX playlist_item_candidates_talk_idx ON playlist_item_candidates (talk_id);

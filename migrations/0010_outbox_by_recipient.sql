-- Registration messages are coalesced per (user, talk): registering looks
-- for a recent message of the same pair before writing one, and erasure and
-- verification find a user's unsent messages. Without this index each of
-- those scans the whole outbox.
CREATE INDEX outbox_user_talk_idx ON outbox (user_id, talk_id, created_at);

-- The live record obeys moderation and erasure (realtime/log.go).
--
-- Every stored event names its subject ('question:17', 'post:33', …): when a
-- subject stops being visible on a channel, its earlier events there are
-- restated as the tombstone the channel shows now, so a replay shows what
-- HTTP shows. people lists the users named in the event (every {id,
-- display_name} object in its data), so erasing an account finds and
-- rewrites the events that name it. channel_redactions counts the rewrites
-- of each channel: instances compare it to drop replay caches made before
-- one. It is a table of its own so that its row locks never mix with the
-- per-channel seq locks of writers.

-- event_people returns the ids of the people named in an event's data: the
-- id of every object that has a display_name.
CREATE FUNCTION event_people(data json) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT (p #>> '{}')::bigint), '{}')
    FROM jsonb_path_query(data::jsonb, 'lax $.** ? (exists (@.display_name)).id') AS p
    WHERE jsonb_typeof(p) = 'number'
$$;

-- event_rename_person returns j with the display_name of every object for
-- user uid replaced by name.
CREATE FUNCTION event_rename_person(j jsonb, uid bigint, name text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    out jsonb;
BEGIN
    CASE jsonb_typeof(j)
    WHEN 'object' THEN
        IF j ? 'display_name' AND j -> 'id' = to_jsonb(uid) THEN
            RETURN jsonb_set(j, '{display_name}', to_jsonb(name));
        END IF;
        SELECT coalesce(jsonb_object_agg(key, event_rename_person(value, uid, name)), '{}'::jsonb)
        INTO out FROM jsonb_each(j);
        RETURN out;
    WHEN 'array' THEN
        SELECT coalesce(jsonb_agg(event_rename_person(value, uid, name) ORDER BY n), '[]'::jsonb)
        INTO out FROM jsonb_array_elements(j) WITH ORDINALITY AS e (value, n);
        RETURN out;
    ELSE
        RETURN j;
    END CASE;
END
$$;

ALTER TABLE events ADD COLUMN subject text;
ALTER TABLE events ADD COLUMN people bigint[] GENERATED ALWAYS AS (event_people(data)) STORED;
CREATE TABLE channel_redactions (
    channel text PRIMARY KEY,
    n       bigint NOT NULL CHECK (n > 0)
);

-- Events stored before subjects existed: answers belong to their question
-- (they share its visibility), everything else names its own resource.
UPDATE events SET subject = CASE
    WHEN type LIKE 'answer.%' THEN 'question:' || (data ->> 'question_id')
    ELSE split_part(type, '.', 1) || ':' || (data ->> 'id')
END;

-- Flags on the staff channel no longer say who raised them (speakers are staff).
UPDATE events SET data = (data::jsonb - 'reporter')::json WHERE type = 'flag.created';

-- Redact what was recorded before this migration, as the service now does
-- when the subject changes: questions no longer public, hidden threads, and
-- posts that are hidden or sit in a hidden thread or under a hidden post.
UPDATE events e SET type = 'question.removed', data = json_build_object('id', q.id)
FROM questions q
WHERE e.channel = 'talk:' || q.talk_id AND e.subject = 'question:' || q.id
  AND q.status NOT IN ('approved', 'answered');

UPDATE events e SET type = 'thread.updated',
    data = (e.data::jsonb || '{"title": "", "body": "", "hidden": true}')::json
FROM threads t
WHERE e.channel = 'talk:' || t.talk_id AND e.subject = 'thread:' || t.id AND t.hidden;

UPDATE events e SET type = 'post.updated',
    data = (e.data::jsonb || '{"body": "", "hidden": true}')::json
FROM posts p
JOIN threads t ON t.id = p.thread_id
LEFT JOIN posts parent ON parent.id = p.parent_id
WHERE e.channel = 'talk:' || t.talk_id AND e.subject = 'post:' || p.id
  AND (p.hidden OR t.hidden OR coalesce(parent.hidden, false));

-- talk.updated events recorded on the public channel while the talk was a
-- draft: each takes the data of the channel's next public talk.updated (what
-- was published), or only the id and status when there is none yet.
UPDATE events e SET data = coalesce((
    SELECT n.data FROM events n
    WHERE n.channel = e.channel AND n.seq > e.seq AND n.type = 'talk.updated'
      AND n.data ->> 'status' <> 'draft'
    ORDER BY n.seq LIMIT 1),
    json_build_object('id', (e.data ->> 'id')::bigint, 'status', 'draft'))
WHERE e.type = 'talk.updated' AND e.channel NOT LIKE '%:staff' AND e.data ->> 'status' = 'draft';

-- Erased accounts: their names leave the record too.
UPDATE events e SET data = event_rename_person(e.data::jsonb, u.id, 'Former participant')::json
FROM users u
WHERE u.deleted_at IS NOT NULL AND e.people @> ARRAY[u.id];

ALTER TABLE events ALTER COLUMN subject SET NOT NULL;
-- Restating a subject finds its events; erasure finds the events naming a user.
CREATE INDEX events_subject_idx ON events (channel, subject);
CREATE INDEX events_people_idx ON events USING gin (people);

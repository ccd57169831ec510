-- The series as a knowledge base (issue 19): the moments of the live
-- session, the recording's offset, and full-text search over talks,
-- answered questions with their answers, and thread posts.

-- When the talk went live and ended (POST /talks/{id}/status), and how many
-- seconds of video come before the live start in the talk's recording
-- (moderators nudge it; negative when the video starts after the live start).
ALTER TABLE talks
    ADD COLUMN live_started_at timestamptz,
    ADD COLUMN live_ended_at timestamptz,
    ADD COLUMN recording_offset_seconds integer NOT NULL DEFAULT 0
        CHECK (recording_offset_seconds BETWEEN -86400 AND 86400);

-- When the question was taken during the live session: first pinned or
-- marked answered while the talk was live. Null for questions answered
-- only in writing after the talk.
ALTER TABLE questions ADD COLUMN taken_at timestamptz;

-- recording_second is where in the recording a moment of the live session
-- is: null unless the talk has a recording and the moment was taken live.
CREATE FUNCTION recording_second(taken_at timestamptz, live_started_at timestamptz, offset_seconds integer, video_id text)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN video_id IS NOT NULL AND taken_at IS NOT NULL AND live_started_at IS NOT NULL
        THEN greatest(0, floor(extract(epoch FROM taken_at - live_started_at))::integer + offset_seconds) END
$$;

-- unaccent ships with PostgreSQL (Debian's postgresql-15 package); it is a
-- trusted extension, so a database owner without superuser creates it.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- One text search configuration per language the series speaks, each the
-- built-in one with unaccent in front of its stemmer, so "regulación" and
-- "regulacion" are one word, and ts_headline marks the word as written.
-- search_simple (no stemming) serves every other language.
CREATE TEXT SEARCH CONFIGURATION search_english (COPY = english);
CREATE TEXT SEARCH CONFIGURATION search_spanish (COPY = spanish);
CREATE TEXT SEARCH CONFIGURATION search_french (COPY = french);
CREATE TEXT SEARCH CONFIGURATION search_german (COPY = german);
CREATE TEXT SEARCH CONFIGURATION search_italian (COPY = italian);
CREATE TEXT SEARCH CONFIGURATION search_portuguese (COPY = portuguese);
CREATE TEXT SEARCH CONFIGURATION search_simple (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION search_english ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
ALTER TEXT SEARCH CONFIGURATION search_spanish ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;
ALTER TEXT SEARCH CONFIGURATION search_french ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
ALTER TEXT SEARCH CONFIGURATION search_german ALTER MAPPING FOR hword, hword_part, word WITH unaccent, german_stem;
ALTER TEXT SEARCH CONFIGURATION search_italian ALTER MAPPING FOR hword, hword_part, word WITH unaccent, italian_stem;
ALTER TEXT SEARCH CONFIGURATION search_portuguese ALTER MAPPING FOR hword, hword_part, word WITH unaccent, portuguese_stem;
ALTER TEXT SEARCH CONFIGURATION search_simple ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

-- search_config is the configuration of a talk's language code ("es",
-- "pt-BR"). IMMUTABLE (a fixed table of names), so generated columns and
-- indexes may use it.
CREATE FUNCTION search_config(language text) RETURNS regconfig LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE split_part(lower(language), '-', 1)
        WHEN 'en' THEN 'search_english'::regconfig
        WHEN 'es' THEN 'search_spanish'::regconfig
        WHEN 'fr' THEN 'search_french'::regconfig
        WHEN 'de' THEN 'search_german'::regconfig
        WHEN 'it' THEN 'search_italian'::regconfig
        WHEN 'pt' THEN 'search_portuguese'::regconfig
        ELSE 'search_simple'::regconfig END
$$;

-- search_tsquery is what a search box's text asks for in one configuration:
-- web search syntax (quoted phrases, -word, or) for words, AND the last
-- word while it is being typed (prefix, "" for none) as a prefix of a word
-- or as a whole word (stemming may shorten a finished word below its
-- prefix: "aplicaciones" is 'aplic'). Either part may be empty.
CREATE FUNCTION search_tsquery(config regconfig, words text, prefix text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN prefix = '' THEN websearch_to_tsquery(config, words)
        ELSE websearch_to_tsquery(config, words)
            && (to_tsquery(config, quote_literal(prefix) || ':*') || plainto_tsquery(config, prefix)) END
$$;

-- search_tsquery_any is search_tsquery in every configuration, ORed (each
-- distinct one once: most words stem alike in several languages): what a
-- document in any language may match, so that one index scan finds the
-- candidates; each is then checked against its own language's query.
-- A query an index cannot answer (only -words) matches nothing rather than
-- every row.
CREATE FUNCTION search_tsquery_any(words text, prefix text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN querytree(a) = 'T' THEN ''::tsquery ELSE a END
    FROM (SELECT coalesce(string_agg(DISTINCT '(' || q::text || ')', ' | ')::tsquery, ''::tsquery) AS a
          FROM unnest('{search_english,search_spanish,search_french,search_german,search_italian,search_portuguese,search_simple}'::regconfig[]) AS c(cfg),
               search_tsquery(c.cfg, words, prefix) AS q
          WHERE q::text <> '') s
$$;

-- search_text is user text as the parser should read it: stored as typed,
-- so "<word>" is a word and not an HTML tag (which to_tsvector drops).
CREATE FUNCTION search_text(body text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT replace(body, '<', '< ')
$$;

-- array_to_string is only STABLE (element output functions may be), but
-- for text[] it is immutable.
CREATE FUNCTION search_tags(tags text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_to_string(tags, ' ')
$$;

-- Talks: title and speakers' names weigh most, then tags, then the abstract.
-- search_speakers is kept by the triggers below (erased speakers leave it).
ALTER TABLE talks ADD COLUMN search_speakers text NOT NULL DEFAULT '';
ALTER TABLE talks ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector(search_config(language), search_text(title)), 'A')
    || setweight(to_tsvector(search_config(language), search_text(search_speakers)), 'A')
    || setweight(to_tsvector(search_config(language), search_text(search_tags(tags))), 'B')
    || setweight(to_tsvector(search_config(language), search_text(abstract)), 'C')) STORED;
CREATE INDEX talks_search_idx ON talks USING gin (search_tsv);

CREATE FUNCTION search_refresh_speakers(talk bigint) RETURNS void LANGUAGE sql AS $$
    UPDATE talks k SET search_speakers = coalesce((
        SELECT string_agg(u.display_name, ' ' ORDER BY ts.position, u.id)
        FROM talk_speakers ts JOIN users u ON u.id = ts.user_id
        WHERE ts.talk_id = talk AND u.deleted_at IS NULL), '')
    WHERE k.id = talk
$$;

CREATE FUNCTION search_talk_speakers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM search_refresh_speakers(OLD.talk_id); END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.talk_id <> OLD.talk_id) THEN
        PERFORM search_refresh_speakers(NEW.talk_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER talk_speakers_search AFTER INSERT OR UPDATE OR DELETE ON talk_speakers
    FOR EACH ROW EXECUTE FUNCTION search_talk_speakers_changed();

CREATE FUNCTION search_user_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_refresh_speakers(ts.talk_id) FROM talk_speakers ts WHERE ts.user_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER users_search AFTER UPDATE OF display_name, deleted_at ON users
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION search_user_renamed();

SELECT search_refresh_speakers(id) FROM talks;

-- Questions: the question weighs more than its written answers. The
-- configuration is the talk's language, so the vector is kept by triggers:
-- on the question's body, on its answers, and on the talk's language.
ALTER TABLE questions ADD COLUMN search_tsv tsvector;

CREATE FUNCTION search_question_tsv(config regconfig, question bigint, body text) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector(config, search_text(body)), 'A')
        || setweight(to_tsvector(config, search_text(coalesce((
            SELECT string_agg(a.body, E'\n' ORDER BY a.created_at, a.id) FROM answers a WHERE a.question_id = question), ''))), 'B')
$$;

CREATE FUNCTION search_question_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_tsv := search_question_tsv(
        (SELECT search_config(k.language) FROM talks k WHERE k.id = NEW.talk_id), NEW.id, NEW.body);
    RETURN NEW;
END $$;
CREATE TRIGGER questions_search BEFORE INSERT OR UPDATE OF body ON questions
    FOR EACH ROW EXECUTE FUNCTION search_question_written();

CREATE FUNCTION search_answer_written() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    question bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.question_id ELSE NEW.question_id END;
BEGIN
    UPDATE questions q SET search_tsv = search_question_tsv(search_config(k.language), q.id, q.body)
    FROM talks k WHERE k.id = q.talk_id AND q.id = question;
    RETURN NULL;
END $$;
CREATE TRIGGER answers_search AFTER INSERT OR UPDATE OF body OR DELETE ON answers
    FOR EACH ROW EXECUTE FUNCTION search_answer_written();

UPDATE questions q SET search_tsv = search_question_tsv(search_config(k.language), q.id, q.body)
FROM talks k WHERE k.id = q.talk_id;
ALTER TABLE questions ALTER COLUMN search_tsv SET NOT NULL;
-- Only answered questions are searched, so only they are indexed.
CREATE INDEX questions_search_idx ON questions USING gin (search_tsv) WHERE status = 'answered';

-- Posts: their body, in their talk's language.
ALTER TABLE posts ADD COLUMN search_tsv tsvector;

CREATE FUNCTION search_post_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_tsv := to_tsvector((SELECT search_config(k.language) FROM threads t JOIN talks k ON k.id = t.talk_id
        WHERE t.id = NEW.thread_id), search_text(NEW.body));
    RETURN NEW;
END $$;
CREATE TRIGGER posts_search BEFORE INSERT OR UPDATE OF body ON posts
    FOR EACH ROW EXECUTE FUNCTION search_post_written();

UPDATE posts p SET search_tsv = to_tsvector(search_config(k.language), search_text(p.body))
FROM threads t JOIN talks k ON k.id = t.talk_id WHERE t.id = p.thread_id;
ALTER TABLE posts ALTER COLUMN search_tsv SET NOT NULL;
CREATE INDEX posts_search_idx ON posts USING gin (search_tsv) WHERE NOT hidden;

-- A talk that changes language re-reads its questions and posts.
CREATE FUNCTION search_talk_language_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE questions q SET search_tsv = search_question_tsv(search_config(NEW.language), q.id, q.body)
    WHERE q.talk_id = NEW.id;
    UPDATE posts p SET search_tsv = to_tsvector(search_config(NEW.language), search_text(p.body))
    FROM threads t WHERE t.id = p.thread_id AND t.talk_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER talks_search_language AFTER UPDATE OF language ON talks
    FOR EACH ROW WHEN (search_config(OLD.language) IS DISTINCT FROM search_config(NEW.language))
    EXECUTE FUNCTION search_talk_language_changed();

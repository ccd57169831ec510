-- Search (issue 19), second part: thread titles are searched, and the
-- search's estimates and indexes are made to fit a long series.

-- Threads: the title weighs most, then the opening message, in the talk's
-- language (kept by a trigger, as posts are). A thread is a result of its
-- own (type "thread", as a Discourse topic is found by its title), never
-- when hidden: only visible threads are indexed.
ALTER TABLE threads ADD COLUMN search_tsv tsvector;

CREATE FUNCTION search_thread_tsv(config regconfig, title text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector(config, search_text(title)), 'A') || to_tsvector(config, search_text(body))
$$;

CREATE FUNCTION search_thread_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_tsv := search_thread_tsv((SELECT search_config(k.language) FROM talks k WHERE k.id = NEW.talk_id),
        NEW.title, NEW.body);
    RETURN NEW;
END $$;
CREATE TRIGGER threads_search BEFORE INSERT OR UPDATE OF title, body, talk_id ON threads
    FOR EACH ROW EXECUTE FUNCTION search_thread_written();

UPDATE threads t SET search_tsv = search_thread_tsv(search_config(k.language), t.title, t.body)
FROM talks k WHERE k.id = t.talk_id;
ALTER TABLE threads ALTER COLUMN search_tsv SET NOT NULL;
CREATE INDEX threads_search_idx ON threads USING gin (search_tsv) WHERE NOT hidden;

-- A talk that changes language re-reads its questions, threads and posts.
CREATE OR REPLACE FUNCTION search_talk_language_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE questions q SET search_tsv = search_question_tsv(search_config(NEW.language), q.id, q.body)
    WHERE q.talk_id = NEW.id;
    UPDATE threads t SET search_tsv = search_thread_tsv(search_config(NEW.language), t.title, t.body)
    WHERE t.talk_id = NEW.id;
    UPDATE posts p SET search_tsv = to_tsvector(search_config(NEW.language), search_text(p.body))
    FROM threads t WHERE t.id = p.thread_id AND t.talk_id = NEW.id;
    RETURN NULL;
END $$;

-- The planner's guess of how many rows a search matches decides between
-- walking the newest rows back and reading the text index. With the
-- default statistics a vector keeps its 1,000 most common words, and any
-- other word (or a typed prefix of one) is guessed from the least common of
-- them: "dans":* was guessed at 7,321 questions where none matched, and the
-- backward walk read all of them (1.4 s). A series of three languages has
-- tens of thousands of words; 10,000 cover most of what is searched
-- ('dans':* is then guessed at 556 rows, read from the text index). ANALYZE
-- reads the larger sample once here (about a minute for a million rows).
ALTER TABLE talks ALTER COLUMN search_tsv SET STATISTICS 1000;
ALTER TABLE questions ALTER COLUMN search_tsv SET STATISTICS 1000;
ALTER TABLE threads ALTER COLUMN search_tsv SET STATISTICS 1000;
ALTER TABLE posts ALTER COLUMN search_tsv SET STATISTICS 1000;
ANALYZE talks, questions, threads, posts;

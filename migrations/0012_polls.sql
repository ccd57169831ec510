-- Live polls of a talk and their ballots (server/polls). Reactions are not
-- stored (realtime aggregates them per second).

CREATE TABLE polls (
    id          bigserial PRIMARY KEY,
    talk_id     bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    question    text NOT NULL CHECK (length(btrim(question)) BETWEEN 1 AND 300),
    kind        text NOT NULL CHECK (kind IN ('single', 'multiple', 'words', 'rating')),
    -- The options of a choice poll (single, multiple); none for the others.
    options     text[] NOT NULL DEFAULT '{}',
    max_choices integer NOT NULL DEFAULT 1,
    results     text NOT NULL DEFAULT 'live' CHECK (results IN ('live', 'closed', 'staff')),
    status      text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    opened_at   timestamptz,
    closed_at   timestamptz,
    CHECK (CASE WHEN kind IN ('single', 'multiple') THEN cardinality(options) BETWEEN 2 AND 10
                ELSE cardinality(options) = 0 END),
    CHECK (CASE WHEN kind = 'multiple' THEN max_choices BETWEEN 1 AND cardinality(options)
                ELSE max_choices = 1 END),
    CHECK ((status = 'draft') = (opened_at IS NULL)),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
-- At most one open poll per talk, whatever the concurrency.
CREATE UNIQUE INDEX polls_one_open_per_talk ON polls (talk_id) WHERE status = 'open';
CREATE INDEX polls_talk_idx ON polls (talk_id, id DESC);

-- One ballot per person per poll (the primary key), replaced while the
-- poll is open. Exactly one of choices, words (with terms) and rating,
-- according to the poll's kind; the trigger below checks it against the
-- poll, and that the poll is open.
CREATE TABLE poll_ballots (
    poll_id    bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id),
    choices    smallint[],           -- option indexes, distinct
    words      text[],               -- as typed
    terms      text[],               -- the words normalised for the word cloud, distinct (may be empty: stop words only)
    rating     smallint CHECK (rating BETWEEN 1 AND 5),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, user_id),
    CHECK (num_nonnulls(choices, words, rating) = 1),
    CHECK ((words IS NULL) = (terms IS NULL)),
    CHECK (words IS NULL OR cardinality(words) BETWEEN 1 AND 3),
    CHECK (choices IS NULL OR cardinality(choices) >= 1)
);
CREATE INDEX poll_ballots_user_idx ON poll_ballots (user_id);

-- A ballot must fit its poll, and the poll must be open. The poll's row is
-- read FOR KEY SHARE: many ballots proceed together, but a close (which
-- takes FOR UPDATE) waits for ballots in flight and ballots after it see
-- the poll closed, so the results published on close are final.
CREATE FUNCTION poll_ballot_fits() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p polls%ROWTYPE;
BEGIN
    SELECT * INTO p FROM polls WHERE id = NEW.poll_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RETURN NEW; -- the foreign key refuses it
    END IF;
    IF p.status <> 'open' THEN
        RAISE EXCEPTION 'poll % is %', p.id, p.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'poll_ballots_poll_open';
    END IF;
    IF (p.kind IN ('single', 'multiple')) <> (NEW.choices IS NOT NULL)
       OR (p.kind = 'words') <> (NEW.words IS NOT NULL)
       OR (p.kind = 'rating') <> (NEW.rating IS NOT NULL) THEN
        RAISE EXCEPTION 'ballot does not match a % poll', p.kind
            USING ERRCODE = 'check_violation', CONSTRAINT = 'poll_ballots_fit_kind';
    END IF;
    IF NEW.choices IS NOT NULL AND (
           cardinality(NEW.choices) > p.max_choices
        OR EXISTS (SELECT 1 FROM unnest(NEW.choices) c WHERE c IS NULL OR c < 0 OR c >= cardinality(p.options))
        OR (SELECT count(DISTINCT c) FROM unnest(NEW.choices) c) <> cardinality(NEW.choices)) THEN
        RAISE EXCEPTION 'choices do not fit poll %', p.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'poll_ballots_valid_choices';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER poll_ballots_fit BEFORE INSERT OR UPDATE ON poll_ballots
    FOR EACH ROW EXECUTE FUNCTION poll_ballot_fits();

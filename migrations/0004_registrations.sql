-- Registrations, their waitlist, the outbox of messages to send, and
-- idempotency keys.
--
-- Overbooking is impossible at the database level: talks.confirmed_count is
-- maintained by a trigger on every insert, update and delete of
-- registrations, and CHECK (confirmed_count <= capacity) rejects the
-- statement that would exceed it, whoever wrote it (the application or
-- someone at a psql prompt). The trigger's UPDATE also takes the talk's row
-- lock, so concurrent writers of one talk are serialised.
ALTER TABLE talks
    ADD COLUMN confirmed_count integer NOT NULL DEFAULT 0,
    ADD COLUMN waitlist_count  integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT talks_counts_nonnegative CHECK (confirmed_count >= 0 AND waitlist_count >= 0),
    ADD CONSTRAINT talks_confirmed_within_capacity CHECK (capacity IS NULL OR confirmed_count <= capacity),
    ADD CONSTRAINT talks_registration_closes_before_end CHECK (registration_closes_at IS NULL OR registration_closes_at <= ends_at);

-- Arrival order of registrations. The application takes the talk's row lock
-- (SELECT … FOR UPDATE) before inserting, so within a talk the order of seq
-- is the order in which registrations acquired that lock, which is also the
-- order of their commits.
CREATE SEQUENCE registration_seq;

CREATE TABLE registrations (
    talk_id      bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 'cancelled': the talk was cancelled; the registration is kept so the
    -- user still sees it. A user who cancels their own registration deletes it.
    status       text NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    seq          bigint NOT NULL DEFAULT nextval('registration_seq'),
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    confirmed_at timestamptz,
    PRIMARY KEY (talk_id, user_id),
    CHECK ((status = 'confirmed') = (confirmed_at IS NOT NULL) OR status = 'cancelled')
);
ALTER SEQUENCE registration_seq OWNED BY registrations.seq;
CREATE INDEX registrations_user_idx ON registrations (user_id);
CREATE INDEX registrations_waitlist_idx ON registrations (talk_id, seq) WHERE status = 'waitlisted';

CREATE FUNCTION registrations_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dc integer := 0;
    dw integer := 0;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        dc := dc - (OLD.status = 'confirmed')::integer;
        dw := dw - (OLD.status = 'waitlisted')::integer;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        dc := dc + (NEW.status = 'confirmed')::integer;
        dw := dw + (NEW.status = 'waitlisted')::integer;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.talk_id <> NEW.talk_id THEN
        RAISE EXCEPTION 'a registration cannot move to another talk';
    END IF;
    IF dc <> 0 OR dw <> 0 THEN
        UPDATE talks SET confirmed_count = confirmed_count + dc, waitlist_count = waitlist_count + dw
        WHERE id = COALESCE(NEW.talk_id, OLD.talk_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER registrations_count AFTER INSERT OR UPDATE OF status OR DELETE ON registrations
    FOR EACH ROW EXECUTE FUNCTION registrations_count();

-- Messages to users, written in the transaction of the change that causes
-- them and sent by the outbox worker (SMTP or the log). A message is sent
-- at least once and, with FOR UPDATE SKIP LOCKED, by one worker at a time.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    talk_id         bigint REFERENCES talks (id) ON DELETE CASCADE,
    user_id         bigint REFERENCES users (id) ON DELETE CASCADE,
    payload         jsonb NOT NULL DEFAULT '{}',
    -- Reminders are enqueued by the worker itself; the key makes that idempotent.
    dedupe_key      text UNIQUE,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at, id) WHERE sent_at IS NULL;

-- Idempotency-Key: the first response to a (user, route, key), stored in the
-- transaction of the change it reports.
CREATE TABLE idempotency_keys (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    route       text NOT NULL,
    key         text NOT NULL,
    body_hash   bytea NOT NULL,
    status      integer,
    content_type text,
    response    bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, route, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

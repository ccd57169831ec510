-- Live Q&A, discussion threads and their moderation (server/qa,
-- server/threads, server/moderation).

-- Questions asked during a talk. votes is kept equal to the number of rows in
-- question_votes by the statement that adds or removes a vote, so ranking by
-- votes needs no count.
CREATE TABLE questions (
    id          bigserial PRIMARY KEY,
    talk_id     bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    author_id   bigint NOT NULL REFERENCES users (id),
    body        text NOT NULL,
    anonymous   boolean NOT NULL DEFAULT false,
    status      text NOT NULL CHECK (status IN ('pending', 'approved', 'answered', 'dismissed')),
    pinned      boolean NOT NULL DEFAULT false,
    votes       integer NOT NULL DEFAULT 0 CHECK (votes >= 0),
    answered_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Only a publicly visible question can be "answering now".
    CHECK (NOT pinned OR status IN ('approved', 'answered'))
);
-- At most one pinned question per talk, whatever the concurrency.
CREATE UNIQUE INDEX questions_one_pinned_per_talk ON questions (talk_id) WHERE pinned;
CREATE INDEX questions_talk_top_idx ON questions (talk_id, votes DESC, created_at, id);
CREATE INDEX questions_talk_recent_idx ON questions (talk_id, created_at DESC, id DESC);
CREATE INDEX questions_author_idx ON questions (author_id);

CREATE TABLE question_votes (
    question_id bigint NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (question_id, user_id)
);
CREATE INDEX question_votes_user_idx ON question_votes (user_id);

CREATE TABLE answers (
    id          bigserial PRIMARY KEY,
    question_id bigint NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    author_id   bigint NOT NULL REFERENCES users (id),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX answers_question_idx ON answers (question_id, created_at, id);
CREATE INDEX answers_author_idx ON answers (author_id);

-- Discussion threads of a talk and their posts (replies one level deep).
CREATE TABLE threads (
    id               bigserial PRIMARY KEY,
    talk_id          bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    author_id        bigint NOT NULL REFERENCES users (id),
    title            text NOT NULL,
    body             text NOT NULL,
    pinned           boolean NOT NULL DEFAULT false,
    locked           boolean NOT NULL DEFAULT false,
    hidden           boolean NOT NULL DEFAULT false,
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX threads_talk_order_idx ON threads (talk_id, pinned DESC, last_activity_at DESC, id DESC);
CREATE INDEX threads_author_idx ON threads (author_id);

CREATE TABLE posts (
    id         bigserial PRIMARY KEY,
    thread_id  bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    parent_id  bigint REFERENCES posts (id) ON DELETE CASCADE,
    author_id  bigint NOT NULL REFERENCES users (id),
    body       text NOT NULL,
    hidden     boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    edited_at  timestamptz
);
CREATE INDEX posts_thread_idx ON posts (thread_id, created_at, id);
CREATE INDEX posts_parent_idx ON posts (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX posts_author_idx ON posts (author_id);

-- Reports of questions and posts, one per reporter and target. talk_id is
-- copied from the target so the queue and the log need no join to find it.
-- reporter_id is cleared when the reporter's account is erased.
CREATE TABLE flags (
    id          bigserial PRIMARY KEY,
    talk_id     bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    target_type text NOT NULL CHECK (target_type IN ('question', 'post')),
    target_id   bigint NOT NULL,
    reporter_id bigint REFERENCES users (id),
    reason      text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX flags_one_per_reporter ON flags (target_type, target_id, reporter_id);
CREATE INDEX flags_status_idx ON flags (status, id);
CREATE INDEX flags_reporter_idx ON flags (reporter_id) WHERE reporter_id IS NOT NULL;

-- Every staff action, written in the transaction of the action itself.
-- actor_id is null for actions of the system (blocked words).
CREATE TABLE moderation_log (
    id          bigserial PRIMARY KEY,
    talk_id     bigint NOT NULL REFERENCES talks (id) ON DELETE CASCADE,
    actor_id    bigint REFERENCES users (id),
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   bigint NOT NULL,
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_log_talk_idx ON moderation_log (talk_id, id DESC);

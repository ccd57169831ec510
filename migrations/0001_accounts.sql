-- Accounts: users and their sessions.
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL,
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'participant'
                  CHECK (role IN ('participant', 'moderator', 'admin')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- Set when the account is erased: the row stays (authored content keeps
    -- its foreign keys) but holds no personal data any more.
    deleted_at    timestamptz
);
-- Emails are unique case-insensitively.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- Sessions hold only a SHA-256 of the 256-bit token the client keeps.
CREATE TABLE sessions (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Accounts for a public audience: guests, verified addresses, and the
-- single-use tokens of verification and password reset.

-- A guest joins with a display name only: no email and no password. It may
-- later become a participant (POST /me/upgrade), keeping its id and so what
-- it wrote. Erased accounts keep their row without personal data, so the
-- email rule is about guests only.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users
    ADD CONSTRAINT users_role_check CHECK (role IN ('guest', 'participant', 'moderator', 'admin')),
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN password_hash DROP NOT NULL,
    ADD CONSTRAINT users_guest_has_no_email CHECK ((role = 'guest') = (email IS NULL) OR deleted_at IS NOT NULL),
    ADD CONSTRAINT users_member_has_password CHECK (role = 'guest' OR password_hash IS NOT NULL OR deleted_at IS NOT NULL),
    -- Nothing but verification messages goes to an address before this is set.
    ADD COLUMN email_verified_at timestamptz;

-- Accounts made before verification existed have received mail for as long
-- as they existed; they count as verified rather than going silent.
UPDATE users SET email_verified_at = created_at WHERE email IS NOT NULL AND deleted_at IS NULL;

-- Verification and password-reset tokens: 256 bits, of which only a
-- SHA-256 is stored; single use (used_at) and short-lived (expires_at).
-- A verification token is for the address it was sent to: changing the
-- address makes it useless.
CREATE TABLE account_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify', 'reset')),
    email      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);

-- Whether guests may take part in a talk's live room (ask, vote, flag,
-- post); on by default, as at Slido or Claper.
ALTER TABLE talks ADD COLUMN qa_allow_guests boolean NOT NULL DEFAULT true;

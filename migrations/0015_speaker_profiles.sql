-- Speaker profiles: a bio, an affiliation and links on the account, and a
-- photo re-encoded server-side (a small square JPEG without metadata).
-- Public for speakers of a non-draft talk (GET /users/{id}); erasing the
-- account clears all of it.

ALTER TABLE users
    ADD COLUMN bio text NOT NULL DEFAULT '' CHECK (char_length(bio) <= 2000),
    ADD COLUMN affiliation text NOT NULL DEFAULT '' CHECK (char_length(affiliation) <= 200),
    ADD COLUMN links text[] NOT NULL DEFAULT '{}' CHECK (cardinality(links) <= 5);

-- The photo as served: JPEG bytes, re-encoded (no EXIF or other metadata),
-- and their SHA-256 (hex, shortened), which is part of the photo's URL so a
-- new photo gets a new URL and the old one may be cached for long.
CREATE TABLE user_photos (
    user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash       text NOT NULL,
    jpeg       bytea NOT NULL CHECK (octet_length(jpeg) <= 262144),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The language of each person (issue 21). `locale` is the one they chose
-- (PATCH /me {locale}; NULL: follow the browser); `signup_locale` is the
-- language of the request that created the account (sign-up, guest join),
-- so that messages sent later (reminders) speak it when they never chose.
-- A message goes out in coalesce(locale, signup_locale, 'en').
ALTER TABLE users
    ADD COLUMN locale text CHECK (locale IN ('en', 'es', 'fr', 'de', 'it', 'pt')),
    ADD COLUMN signup_locale text CHECK (signup_locale IN ('en', 'es', 'fr', 'de', 'it', 'pt'));

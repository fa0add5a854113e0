-- The console's sessions: who is signed in on which browser, with the tokens identity gave them
-- (encrypted with the console's key). Only a hash of the cookie's value is kept. No case data.
CREATE TABLE sessions (
    session_hash      bytea PRIMARY KEY,
    csrf_token        text NOT NULL,
    language          text NOT NULL,
    created_at        timestamptz NOT NULL,
    last_seen_at      timestamptz NOT NULL,
    -- A sign-in under way: identity's challenge and the step it asks for.
    challenge         bytea,
    next_step         text,
    enrolment         bytea,           -- the TOTP secret being enrolled, shown until confirmed
    recovery_codes    bytea,           -- shown once after enrolment, then erased
    -- Once signed in.
    access_token      bytea,
    refresh_token     bytea,
    access_expires_at timestamptz,
    subject           text,
    role              text,
    countries         text[],
    notice            text             -- a one-time message code for the next page
);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

-- What a person chose for themselves (by the token's subject), kept across sessions.
CREATE TABLE preferences (
    subject    text PRIMARY KEY,
    language   text NOT NULL,
    updated_at timestamptz NOT NULL
);

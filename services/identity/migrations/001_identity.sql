-- Accounts, sign-in and sessions. Secrets are never stored in clear: passwords as Argon2id hashes,
-- invitation links, refresh tokens and recovery codes as keyed hashes, TOTP secrets and private
-- signing keys encrypted with the service's key.

CREATE TABLE users (
    user_id          uuid PRIMARY KEY,
    username         text NOT NULL,
    display_name     text NOT NULL,
    role             text NOT NULL,
    countries        text[] NOT NULL,
    org              text,
    password_hash    text,                 -- NULL until the invitation is used, and for SSO users
    totp_secret      bytea,                -- encrypted; NULL until enrolment is confirmed
    totp_last_step   bigint,               -- the time step of the last code accepted: no code works twice
    idp              text,                 -- the identity provider of an SSO user, else NULL
    idp_subject      text,
    disabled_at      timestamptz,
    disabled_reason  text,                 -- 'admin', or 'no_role_granted' by the provider's mapping
    created_at       timestamptz NOT NULL,
    created_by       text NOT NULL,
    conduct_version  text,                 -- the code of conduct version last accepted
    conduct_accepted_at timestamptz
);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE UNIQUE INDEX users_idp_subject ON users (idp, idp_subject) WHERE idp IS NOT NULL;

CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- One-time links: an invitation for a new user, or a password reset.
CREATE TABLE account_links (
    link_hash   bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users,
    purpose     text NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

-- Failed sign-ins per account name and per client address, for the lockout.
CREATE TABLE sign_in_failures (
    key           text PRIMARY KEY,        -- 'account:<hash of the name>' or 'address:<ip>'
    failures      int NOT NULL,
    first_at      timestamptz NOT NULL,
    locked_until  timestamptz
);

-- A sign-in between its password and its tokens: the steps still to do (second factor,
-- enrolment, code of conduct), behind a challenge the client holds.
CREATE TABLE sign_in_challenges (
    challenge_hash bytea PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users,
    steps          text[] NOT NULL,
    pending_totp_secret bytea,             -- encrypted; during enrolment only
    expires_at     timestamptz NOT NULL,
    attempts       int NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    session_id  uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users,
    created_at  timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL,
    ended_at    timestamptz,
    end_reason  text
);
CREATE INDEX sessions_live ON sessions (user_id) WHERE ended_at IS NULL;

-- Each refresh token is used once; a second use of one is a theft and ends the session.
CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE signing_keys (
    kid          text PRIMARY KEY,
    private_key  bytea NOT NULL,           -- encrypted PKCS#8
    public_jwk   jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    retired_at   timestamptz               -- when a newer key took over signing
);

-- The state of a sign-in with the organisation's identity provider, between the redirect and the callback.
CREATE TABLE sso_states (
    state_hash     bytea PRIMARY KEY,
    provider       text NOT NULL,
    code_verifier  bytea NOT NULL,         -- encrypted
    nonce          text NOT NULL,
    expires_at     timestamptz NOT NULL
);

-- Machine clients of integrations (a partner's case system, a reporting tool): OAuth 2 client credentials.
CREATE TABLE clients (
    client_id    text PRIMARY KEY,
    secret_hash  bytea NOT NULL,
    name         text NOT NULL,
    role         text NOT NULL,
    countries    text[] NOT NULL,
    org          text,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    revoked_at   timestamptz
);

-- Who did what to accounts: creation, role changes, disabling, sign-ins and their failures, lockouts,
-- second factors, clients. Append-only and hash-chained like cases' audit log (chassis migration 005);
-- `make audit-verify` checks the chain.
CREATE TABLE account_events (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    user_id     uuid,
    action      text NOT NULL,
    client_address text,
    prev_hash   bytea NOT NULL,
    row_hash    bytea NOT NULL
);
CREATE INDEX account_events_user ON account_events (user_id, at);
CREATE TRIGGER account_events_chained BEFORE INSERT ON account_events
    FOR EACH ROW EXECUTE FUNCTION chain_audit_row();
CREATE FUNCTION account_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'account_events is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER account_events_append_only BEFORE UPDATE OR DELETE ON account_events
    FOR EACH ROW EXECUTE FUNCTION account_events_are_append_only();
CREATE TRIGGER account_events_no_truncate BEFORE TRUNCATE ON account_events
    FOR EACH STATEMENT EXECUTE FUNCTION account_events_are_append_only();

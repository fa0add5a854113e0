-- The public web form's rate limit, shared by every intake replica (ratelimit.py): one row per
-- message taken, per endpoint and client, kept only as long as the window. The client is a keyed
-- hash of its address (a complainant's address is personal data), never the address itself.
CREATE TABLE web_form_hits (
    endpoint_id text        NOT NULL,
    client      text        NOT NULL,
    hit_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX web_form_hits_by_client ON web_form_hits (endpoint_id, client, hit_at);
CREATE INDEX web_form_hits_by_age ON web_form_hits (hit_at);

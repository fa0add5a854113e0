-- Each service's own data keys (chassis/envelope.py): one per case, wrapped by a master key whose
-- id is kept, so that master keys rotate by re-wrapping these rows only. An erased case keeps its
-- row with no key (destroyed_at set), so that nothing new is ever sealed for it.
CREATE TABLE data_keys (
    subject       text PRIMARY KEY,      -- the case: its case_id in cases, its reference in intake
    master_key_id text,
    nonce         bytea,
    wrapped_key   bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    destroyed_at  timestamptz,
    CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
);
CREATE INDEX data_keys_by_master_key ON data_keys (master_key_id) WHERE wrapped_key IS NOT NULL;

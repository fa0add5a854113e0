-- What happened after a partner accepted a referral (services/referrals/outcomes.py): one outcome per
-- referral, with the date it happened. The note is the partner's free text: it stays here, never on the bus.
CREATE TABLE referral_outcomes (
    referral_id uuid PRIMARY KEY REFERENCES referrals (referral_id),
    outcome     text NOT NULL CHECK (outcome IN ('service_provided', 'not_reached', 'referred_on', 'closed')),
    outcome_on  date NOT NULL,
    note        text,
    recorded_at timestamptz NOT NULL,
    recorded_by text NOT NULL
);
-- When a focal point was reminded that an accepted referral has no outcome yet: once per referral.
ALTER TABLE referrals ADD COLUMN outcome_reminded_at timestamptz;
CREATE INDEX referrals_awaiting_outcome ON referrals (answered_at)
    WHERE status = 'accepted' AND outcome_reminded_at IS NULL;

-- Who recorded what about a referral: append-only and hash-chained (chassis migration 005), like cases.audit_log.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    role        text NOT NULL,
    action      text NOT NULL,
    referral_id uuid,
    reference   text,
    detail      jsonb NOT NULL DEFAULT '{}',
    prev_hash   bytea NOT NULL,
    row_hash    bytea NOT NULL
);
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION chain_audit_row();

-- Whoever may write the table may add rows, never change or remove them.
DO $$
DECLARE
    grantee text;
BEGIN
    FOR grantee IN SELECT DISTINCT g.grantee FROM information_schema.role_table_grants g
                   WHERE g.table_schema = current_schema() AND g.table_name = 'audit_log'
                     AND g.grantee NOT IN (current_user, 'PUBLIC') LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', grantee);
    END LOOP;
END $$;

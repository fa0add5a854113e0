-- The complainant's rights. Every export of what intake holds about one contact
-- (services/intake/rights.py): who asked, with which role and from where, about which contact, and how
-- much was handed over. Append-only and hash-chained like contact_reveals (`make audit-verify`).
CREATE TABLE contact_exports (
    id              bigserial PRIMARY KEY,
    exported_at     timestamptz NOT NULL DEFAULT now(),
    requested_by    text NOT NULL,
    role            text NOT NULL,
    country         char(2) NOT NULL,
    contact_ref     uuid,                 -- NULL: no contact was found for what was given
    messages        integer NOT NULL DEFAULT 0,
    cases           integer NOT NULL DEFAULT 0,
    client_address  text,
    prev_hash       bytea NOT NULL,
    row_hash        bytea NOT NULL
);
CREATE TRIGGER contact_exports_chained BEFORE INSERT ON contact_exports
    FOR EACH ROW EXECUTE FUNCTION chain_audit_row();

CREATE FUNCTION contact_exports_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contact_exports is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER contact_exports_append_only BEFORE UPDATE OR DELETE ON contact_exports
    FOR EACH ROW EXECUTE FUNCTION contact_exports_are_append_only();
CREATE TRIGGER contact_exports_no_truncate BEFORE TRUNCATE ON contact_exports
    FOR EACH STATEMENT EXECUTE FUNCTION contact_exports_are_append_only();

-- Whoever may write the table may add rows, never change or remove them.
DO $$
DECLARE
    grantee text;
BEGIN
    FOR grantee IN SELECT DISTINCT g.grantee FROM information_schema.role_table_grants g
                   WHERE g.table_schema = current_schema() AND g.table_name = 'contact_exports'
                     AND g.grantee NOT IN (current_user, 'PUBLIC') LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON contact_exports FROM %I', grantee);
    END LOOP;
END $$;

-- Consent withdrawn by the person (an SMS "STOP", services/intake/consent.py): from then on intake
-- reveals the contact for no callback or acknowledgement, and tells the other services. The words
-- themselves are not kept.
CREATE TABLE consent_withdrawals (
    withdrawal_id   uuid PRIMARY KEY,
    contact_ref     uuid NOT NULL REFERENCES contacts,
    country         char(2) NOT NULL,
    channel         text NOT NULL,
    endpoint        text,
    received_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    confirm         boolean NOT NULL
);
CREATE INDEX consent_withdrawals_by_contact ON consent_withdrawals (contact_ref, recorded_at);

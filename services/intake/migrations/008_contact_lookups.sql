-- Who looked up a caller by phone number, and what they were shown: the person found (their
-- contact_ref, a pseudonym) and how many earlier messages, never the number itself. Append-only and
-- tamper-evident like contact_reveals.
CREATE TABLE contact_lookups (
    id           bigserial PRIMARY KEY,
    requested_by text NOT NULL,
    role         text NOT NULL,
    country      char(2) NOT NULL,      -- whose numbering the phone was read in
    contact_ref  uuid,                  -- the person found; NULL when nobody has this number
    shown        integer NOT NULL,      -- the person's cases in the requester's countries
    looked_up_at timestamptz NOT NULL DEFAULT now(),
    prev_hash    bytea NOT NULL,
    row_hash     bytea NOT NULL
);
CREATE TRIGGER contact_lookups_chained BEFORE INSERT ON contact_lookups
    FOR EACH ROW EXECUTE FUNCTION chain_audit_row();

CREATE FUNCTION contact_lookups_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contact_lookups is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER contact_lookups_append_only BEFORE UPDATE OR DELETE ON contact_lookups
    FOR EACH ROW EXECUTE FUNCTION contact_lookups_are_append_only();
CREATE TRIGGER contact_lookups_no_truncate BEFORE TRUNCATE ON contact_lookups
    FOR EACH STATEMENT EXECUTE FUNCTION contact_lookups_are_append_only();
CREATE INDEX contact_lookups_by_contact ON contact_lookups (contact_ref) WHERE contact_ref IS NOT NULL;

DO $$
DECLARE
    grantee text;
BEGIN
    FOR grantee IN SELECT DISTINCT g.grantee FROM information_schema.role_table_grants g
                   WHERE g.table_schema = current_schema() AND g.table_name = 'contact_lookups'
                     AND g.grantee NOT IN (current_user, 'PUBLIC') LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON contact_lookups FROM %I', grantee);
    END LOOP;
END $$;

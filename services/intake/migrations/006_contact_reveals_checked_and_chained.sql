-- Who had a contact decrypted: now also what for (the message or status request intake checked the
-- purpose against) and the requests it refused. Append-only and tamper-evident like cases' audit log.
ALTER TABLE contact_reveals
    ADD COLUMN subject_id uuid,      -- the feedback_id or status request_id the reveal was asked for
    ADD COLUMN refused    text,      -- why intake refused; NULL when the contact was revealed
    ADD COLUMN prev_hash  bytea,
    ADD COLUMN row_hash   bytea;
SELECT chain_existing_audit_rows('contact_reveals');
ALTER TABLE contact_reveals ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN row_hash SET NOT NULL;
CREATE TRIGGER contact_reveals_chained BEFORE INSERT ON contact_reveals
    FOR EACH ROW EXECUTE FUNCTION chain_audit_row();

CREATE FUNCTION contact_reveals_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contact_reveals is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER contact_reveals_append_only BEFORE UPDATE OR DELETE ON contact_reveals
    FOR EACH ROW EXECUTE FUNCTION contact_reveals_are_append_only();
CREATE TRIGGER contact_reveals_no_truncate BEFORE TRUNCATE ON contact_reveals
    FOR EACH STATEMENT EXECUTE FUNCTION contact_reveals_are_append_only();
CREATE INDEX contact_reveals_by_subject ON contact_reveals (subject_id, purpose) WHERE refused IS NULL;

-- Whoever may write the table may add rows, never change or remove them (the triggers say so too;
-- in a deployment the service's role owns nothing, so it cannot disable them).
DO $$
DECLARE
    grantee text;
BEGIN
    FOR grantee IN SELECT DISTINCT g.grantee FROM information_schema.role_table_grants g
                   WHERE g.table_schema = current_schema() AND g.table_name = 'contact_reveals'
                     AND g.grantee NOT IN (current_user, 'PUBLIC') LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON contact_reveals FROM %I', grantee);
    END LOOP;
END $$;

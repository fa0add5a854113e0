-- The audit log becomes tamper-evident: a hash chain over its rows (chassis migration 005).
ALTER TABLE audit_log ADD COLUMN prev_hash bytea, ADD COLUMN row_hash bytea;
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
SELECT chain_existing_audit_rows('audit_log');
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN row_hash SET NOT NULL;
CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION chain_audit_row();

-- Whoever may write the table may add rows, never change or remove them (the triggers say so too;
-- in a deployment the service's role owns nothing, so it cannot disable them).
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

-- The audit log becomes tamper-evident: a hash chain over its rows (chassis migration 005).
ALTER TABLE audit_log ADD COLUMN prev_hash bytea, ADD COLUMN row_hash bytea;
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
SELECT chain_existing_audit_rows('audit_log');
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN row_hash SET NOT NULL;
CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION chain_audit_row();

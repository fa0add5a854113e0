-- Tamper-evident audit tables: each row carries a hash of its content chained to the previous
-- row's hash, so a row changed or removed later (by whoever could get past append-only) breaks
-- the chain at that row; `make audit-verify` finds it. A service attaches `chain_audit_row` as a
-- BEFORE INSERT trigger to its audit table, which needs `prev_hash` and `row_hash` columns.
--
-- A row's content is its JSON without the two hash columns and without nulls (so a column added
-- later leaves the older rows' content as it was), with times written in UTC.
CREATE FUNCTION audit_row_content(row_json jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path FROM CURRENT AS $$ SELECT jsonb_strip_nulls(row_json - 'prev_hash' - 'row_hash')::text $$;

CREATE FUNCTION chain_audit_row() RETURNS trigger
    LANGUAGE plpgsql SET timezone = 'UTC' SET search_path FROM CURRENT AS $$
DECLARE
    previous bytea;
BEGIN
    -- One writer at a time per table, until commit: the next writer then sees this row as the last.
    PERFORM pg_advisory_xact_lock(hashtextextended('audit-chain:' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 0));
    -- The id is taken under the lock, so that the order of ids is the order of the chain.
    NEW.id := nextval(pg_get_serial_sequence(format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), 'id'));
    EXECUTE format('SELECT row_hash FROM %I.%I ORDER BY id DESC LIMIT 1', TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO previous;
    NEW.prev_hash := coalesce(previous, ''::bytea);
    NEW.row_hash := sha256(NEW.prev_hash || convert_to(audit_row_content(to_jsonb(NEW)), 'UTF8'));
    RETURN NEW;
END $$;

-- Chains the rows already in a table, in id order (for a table made tamper-evident after the fact).
CREATE FUNCTION chain_existing_audit_rows(audit_table regclass) RETURNS void
    LANGUAGE plpgsql SET timezone = 'UTC' SET search_path FROM CURRENT AS $$
DECLARE
    item record;
    previous bytea := ''::bytea;
    digest bytea;
BEGIN
    FOR item IN EXECUTE format('SELECT id, to_jsonb(t) AS body FROM %s t ORDER BY id', audit_table) LOOP
        digest := sha256(previous || convert_to(audit_row_content(item.body), 'UTF8'));
        EXECUTE format('UPDATE %s SET prev_hash = $1, row_hash = $2 WHERE id = $3', audit_table)
            USING previous, digest, item.id;
        previous := digest;
    END LOOP;
END $$;

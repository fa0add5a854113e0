-- One PostgreSQL role per service, and a migration role that owns every table.
--
--   psql -v ON_ERROR_STOP=1 -v prefix=cfm -v passwords='{"migrator": "...", "intake": "...", ...}' \
--        -d cfm -f roles.sql        (deploy/postgres/init-roles.sh does this at the first start)
--
-- <prefix>_migrator owns the seven schemas and, through the migrations it runs (the compose
-- `migrate` job), every table in them. Each service logs in as <prefix>_<service>: it may read and
-- write the tables of its own schema and nothing else; it owns nothing, so it cannot drop a table,
-- disable a trigger (the audit tables' append-only and hash-chain triggers), nor truncate an audit
-- table; only a superuser can set session_replication_role. A service owning its schema could drop
-- its audit table: that is why the schemas belong to the migration role.
SELECT set_config('cfm.prefix', :'prefix', false), set_config('cfm.passwords', :'passwords', false);

DO $$
DECLARE
    prefix    text := current_setting('cfm.prefix');
    passwords jsonb := current_setting('cfm.passwords')::jsonb;
    migrator  text := prefix || '_migrator';
    service   text;
    role      text;
BEGIN
    IF coalesce(passwords ->> 'migrator', '') = '' THEN
        RAISE EXCEPTION 'no password given for %', migrator;
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD %L',
                   migrator, passwords ->> 'migrator');
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), migrator);
    REVOKE ALL ON SCHEMA public FROM PUBLIC;

    FOREACH service IN ARRAY ARRAY['identity', 'console', 'intake', 'cases', 'referrals', 'notifications', 'reporting'] LOOP
        role := prefix || '_' || service;
        IF coalesce(passwords ->> service, '') = '' THEN
            RAISE EXCEPTION 'no password given for %', role;
        END IF;
        EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD %L',
                       role, passwords ->> service);
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), role);
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', service, migrator);
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', service, role);
        -- Tables and sequences the migrations create later: the service reads and writes them.
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I '
                       'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', migrator, service, role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I '
                       'GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %I', migrator, service, role);
    END LOOP;
END $$;

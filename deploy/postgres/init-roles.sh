#!/bin/sh
# Run once by the postgres image at the first start (/docker-entrypoint-initdb.d): the roles of
# roles.sql, with passwords from the environment (deploy/.env). The superuser the image creates
# is for this script and for operators only; no service logs in as it.
set -eu
passwords=$(printf '{"migrator": "%s", "identity": "%s", "console": "%s", "intake": "%s", "cases": "%s", "referrals": "%s", "notifications": "%s", "reporting": "%s"}' \
    "$CFM_PG_MIGRATOR_PASSWORD" "$CFM_PG_IDENTITY_PASSWORD" "$CFM_PG_CONSOLE_PASSWORD" "$CFM_PG_INTAKE_PASSWORD" "$CFM_PG_CASES_PASSWORD" "$CFM_PG_REFERRALS_PASSWORD" \
    "$CFM_PG_NOTIFICATIONS_PASSWORD" "$CFM_PG_REPORTING_PASSWORD")
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v prefix=cfm -v passwords="$passwords" -f /etc/cfm/postgres/roles.sql

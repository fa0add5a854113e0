"""`make audit-verify`: check the hash chains of the audit tables and report the first broken link.

Each row of `cases.audit_log` and `intake.contact_reveals` carries `row_hash` = SHA-256 of the
previous row's hash and of its own content (chassis migration 005). A row changed afterwards no
longer matches its hash; a row removed or slipped in breaks the link of the row after it. Nothing
here trusts the database's own functions: the content is recomputed from the row as stored.

The last hash printed for each table can be written down elsewhere (a ticket, a signed message):
rewriting the whole chain from some row on would then show as a different head.
"""
import argparse
import hashlib
import sys
from dataclasses import dataclass

import psycopg

AUDIT_TABLES = (("cases", "audit_log"), ("intake", "contact_reveals"), ("intake", "contact_lookups"),
                ("intake", "contact_exports"), ("identity", "account_events"),
                ("referrals", "audit_log"))


@dataclass(frozen=True)
class ChainReport:
    table: str
    rows: int
    head: str | None  # hex of the last row's hash
    broken_at: int | None = None  # id of the first row whose link or content does not hold
    reason: str | None = None

    def __str__(self) -> str:
        if self.broken_at is None:
            return f"{self.table}: {self.rows} rows, chain intact, last hash {self.head or '(empty)'}"
        return f"{self.table}: BROKEN at id {self.broken_at}: {self.reason}"


def verify_rows(table: str, rows) -> ChainReport:
    """`rows`: (id, prev_hash, row_hash, content) in id order."""
    previous, count = b"", 0
    for row_id, prev_hash, row_hash, content in rows:
        prev_hash, row_hash = bytes(prev_hash), bytes(row_hash)
        if prev_hash != previous:
            return ChainReport(table, count, None, row_id, "it does not follow the row before it "
                                                           "(a row was removed or inserted before it)")
        if hashlib.sha256(prev_hash + content.encode()).digest() != row_hash:
            return ChainReport(table, count, None, row_id, "its content was changed after it was written")
        previous, count = row_hash, count + 1
    return ChainReport(table, count, previous.hex() if count else None)


def verify_table(conn, schema: str, table: str) -> ChainReport:
    conn.execute("SET TIME ZONE 'UTC'")  # how the chain writes times
    rows = conn.execute(psycopg.sql.SQL(
        """SELECT id, prev_hash, row_hash, jsonb_strip_nulls(to_jsonb(t) - 'prev_hash' - 'row_hash')::text
           FROM {} t ORDER BY id""").format(psycopg.sql.Identifier(schema, table)))
    return verify_rows(f"{schema}.{table}", rows)


def main(argv=None) -> int:
    from chassis.services import load_service
    from chassis.settings import load_settings

    parser = argparse.ArgumentParser(description="Verify the hash chains of the audit tables.")
    parser.add_argument("--database-url", help="default: each service's database.url setting")
    args = parser.parse_args(argv)
    broken = False
    for schema, table in AUDIT_TABLES:
        url = args.database_url or load_settings(load_service(schema)[1], schema).database.url
        with psycopg.connect(url) as conn:
            report = verify_table(conn, schema, table)
        print(report)
        broken = broken or report.broken_at is not None
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())

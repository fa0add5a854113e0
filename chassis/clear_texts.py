"""Sealing the texts an older version of the platform stored in clear (`make seal-clear-texts`).

Before envelope encryption (chassis/envelope.py) intake and cases stored what people wrote as it
came. Readers tell the two apart by the sealed value's prefix (`enc:v1:`, or the `sealed` key of a
timeline entry's details) and show a clear text as it is, so old rows kept working, in clear:
readable from the database and its backups, out of reach of crypto-shredding. This command finds
every such row, seals its texts under its case's data key (made if the case has none yet), and
writes them back; readers need no change. (A clear text that itself began with `enc:v1:` would be
taken for a sealed one, here as by the readers: nobody types that.)

Each service that seals texts lists the places it keeps them in `services/<name>/clear_texts.py`
(`PLACES`). A place is worked through in small batches, each its own transaction that locks its
rows while it seals them (a live service changing the same case waits a moment): a crash loses
nothing and a rerun carries on from what is still clear; on a sealed table it changes nothing.
A clear text of a case already erased (its data key destroyed) cannot be sealed any more: it is
blanked, as the erasure would have done. Counts per service and table are printed; texts never.
"""
import importlib
from dataclasses import dataclass
from typing import Protocol

from psycopg import errors, sql

from chassis.envelope import PREFIX, DataKey, KeyDestroyed, TextEnvelope, services_keeping_texts

BATCH_SIZE = 100


def clear(column: str) -> sql.Composable:
    """SQL true when `column` holds a text that is not sealed (NULL and empty hold nothing)."""
    return sql.SQL("({c} IS NOT NULL AND {c} <> '' AND left({c}, {n}) <> {p})").format(
        c=sql.Identifier(column), n=sql.Literal(len(PREFIX)), p=sql.Literal(PREFIX))


@dataclass(frozen=True)
class ClearRow:
    """A row holding a clear text: its key in its table, the case its texts belong to (the data key's
    subject), and what the place needs to rewrite it."""

    key: object
    subject: str
    values: dict


class Place(Protocol):
    """One table of a service where texts are kept sealed."""

    table: str

    def clear_rows(self, conn, after, limit: int) -> list[ClearRow]:
        """Up to `limit` rows still holding a clear text, after the row key `after` (None: from the
        first), in key order, locked for this transaction."""

    def rewrite(self, conn, row: ClearRow, key: DataKey | None) -> None:
        """Write the row's texts back sealed under `key`; blanked when the case was erased (None)."""

    def count_clear(self, conn) -> int:
        """How many rows still hold a clear text."""


@dataclass(frozen=True)
class SealedColumns:
    """Text columns of a table, each sealed whole. `columns` maps each column to what it becomes when
    its case was erased (as the service's erasure blanks it)."""

    table: str
    key: str       # the primary key column: batches go in its order
    subject: str   # the column naming the case the texts belong to (cast to text)
    columns: dict[str, str | None]

    def _any_clear(self) -> sql.Composable:
        return sql.SQL(" OR ").join(clear(column) for column in self.columns)

    def clear_rows(self, conn, after, limit: int) -> list[ClearRow]:
        query = sql.SQL("""SELECT {key}, {subject}::text, {columns} FROM {table}
                           WHERE ({any_clear}) AND ({after_is_null} OR {key} > {after})
                           ORDER BY {key} LIMIT {limit} FOR UPDATE""").format(
            key=sql.Identifier(self.table, self.key), subject=sql.Identifier(self.table, self.subject),
            columns=sql.SQL(", ").join(map(sql.Identifier, self.columns)), table=sql.Identifier(self.table),
            any_clear=self._any_clear(), after_is_null=sql.SQL("{} IS NULL").format(sql.Literal(after)),
            after=sql.Literal(after), limit=sql.Literal(limit))
        return [ClearRow(row[0], row[1], dict(zip(self.columns, row[2:]))) for row in conn.execute(query)]

    def rewrite(self, conn, row: ClearRow, key: DataKey | None) -> None:
        changes = {}
        for column, value in row.values.items():
            if value and not TextEnvelope.is_sealed(value):
                changes[column] = TextEnvelope.seal(key, value) if key else self.columns[column]
        conn.execute(sql.SQL("UPDATE {table} SET {changes} WHERE {key} = %s").format(
            table=sql.Identifier(self.table), key=sql.Identifier(self.key),
            changes=sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(column)) for column in changes)),
            [*changes.values(), row.key])

    def count_clear(self, conn) -> int:
        return conn.execute(sql.SQL("SELECT count(*) FROM {table} WHERE {any_clear}").format(
            table=sql.Identifier(self.table), any_clear=self._any_clear())).fetchone()[0]


def seal_place(conn, envelope: TextEnvelope, place: Place, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Seal every clear text of one place, a committed batch at a time. {sealed, blanked, still_clear}:
    rows rewritten, rows of erased cases blanked, and rows found clear afterwards (written meanwhile
    by a service of the older version, or locked: run again)."""
    sealed = blanked = 0
    after = None
    while True:
        rows, keys = _seal_batch(conn, envelope, place, after, batch_size)
        blanked += sum(keys[row.subject] is None for row in rows)
        sealed += sum(keys[row.subject] is not None for row in rows)
        if len(rows) < batch_size:
            break
        after = rows[-1].key
    with conn.transaction():
        still_clear = place.count_clear(conn)
    return {"sealed": sealed, "blanked": blanked, "still_clear": still_clear}


def _seal_batch(conn, envelope: TextEnvelope, place: Place, after, batch_size: int):
    """One committed batch: its rows and the data key each was sealed under (None: blanked). An erasure
    of one of its cases at the same moment may deadlock with it; PostgreSQL then rolls the batch back
    whole, and it is tried again."""
    for attempt in range(1, 4):
        try:
            with conn.transaction():
                rows = place.clear_rows(conn, after, batch_size)
                keys: dict[str, DataKey | None] = {}
                for row in rows:
                    if row.subject not in keys:
                        try:
                            keys[row.subject] = envelope.data_key(conn, row.subject)
                        except KeyDestroyed:
                            keys[row.subject] = None
                    place.rewrite(conn, row, keys[row.subject])
            return rows, keys
        except (errors.DeadlockDetected, errors.SerializationFailure):
            if attempt == 3:
                raise


def places_of(service: str) -> tuple:
    """The places a service keeps sealed texts in (services/<name>/clear_texts.py)."""
    return importlib.import_module(f"services.{service}.clear_texts").PLACES


def seal_service(conn, envelope: TextEnvelope, service: str, batch_size: int = BATCH_SIZE) -> dict[str, dict]:
    """Every place of one service: {table: counts}."""
    return {place.table: seal_place(conn, envelope, place, batch_size) for place in places_of(service)}


def main(argv: list[str] | None = None) -> int:
    """`make seal-clear-texts`: seal the texts older versions stored in clear, in every service with data keys."""
    import argparse
    import sys
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # the services' modules import nameko
    import psycopg

    from chassis.settings import SettingsError

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("services", nargs="*", help="only these services (default: every one with data keys)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="rows sealed per transaction")
    args = parser.parse_args(argv)
    status = 0
    try:
        for name, settings, envelope in services_keeping_texts(args.services):
            with psycopg.connect(settings.database.url, autocommit=True,
                                 options=f"-c search_path={settings.schema}") as conn:
                for table, counts in seal_service(conn, envelope, name, args.batch_size).items():
                    print(f"{name}: {table}: {counts['sealed']} row(s) sealed, {counts['blanked']} blanked "
                          f"(case erased), {counts['still_clear']} still in clear")
                    if counts["still_clear"]:
                        status = 1
    except SettingsError as exc:
        print(f"seal-clear-texts: {exc}", file=sys.stderr)
        return 2
    if status:
        print("seal-clear-texts: some rows are still in clear (written meanwhile by an older version, "
              "or busy): run it again", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())

"""Where cases keeps texts sealed, for `make seal-clear-texts` (chassis/clear_texts.py): the narrative,
resolution, answer and no-contact reason of each case, its notes, and the typed parts of its timeline. Rows written
before envelope encryption hold them in clear; the command seals them under the case's data key."""
import json

from psycopg.types.json import Jsonb

from chassis.clear_texts import ClearRow, SealedColumns
from chassis.envelope import ERASED, DataKey, TextEnvelope
from services.cases.domain import TEXT_DETAIL_KEYS


class TimelineDetails:
    """The timeline (`case_history.detail`): the keys of TEXT_DETAIL_KEYS go, together, into one sealed
    `sealed` value, as `Change.record` writes them; the workflow's facts stay readable. An erased
    case's entry loses them, as the erasure would have."""

    table = "case_history"
    _has_text = ("jsonb_typeof(detail) = 'object' AND detail ?| %(keys)s::text[]")

    def clear_rows(self, conn, after, limit: int) -> list[ClearRow]:
        rows = conn.execute(f"""SELECT id, case_id::text, detail FROM case_history
                                WHERE {self._has_text} AND (%(after)s::bigint IS NULL OR id > %(after)s)
                                ORDER BY id LIMIT %(limit)s FOR UPDATE""",
                            {"keys": list(TEXT_DETAIL_KEYS), "after": after, "limit": limit}).fetchall()
        return [ClearRow(row_id, case_id, {"detail": detail}) for row_id, case_id, detail in rows]

    def rewrite(self, conn, row: ClearRow, key: DataKey | None) -> None:
        detail = dict(row.values["detail"])
        texts = {name: detail.pop(name) for name in list(detail) if name in TEXT_DETAIL_KEYS}
        already_sealed = detail.pop("sealed", None)
        if key is not None:
            # An entry holding both (none should): what was sealed, completed by what was not.
            opened = TextEnvelope.open(key, already_sealed) if already_sealed else None
            detail["sealed"] = TextEnvelope.seal(key, json.dumps({**(json.loads(opened) if opened else {}), **texts}))
        elif already_sealed:
            detail["sealed"] = already_sealed  # unreadable for good; the retention job strips it if it runs
        conn.execute("UPDATE case_history SET detail = %s WHERE id = %s", [Jsonb(detail), row.key])

    def count_clear(self, conn) -> int:
        return conn.execute(f"SELECT count(*) FROM case_history WHERE {self._has_text}",
                            {"keys": list(TEXT_DETAIL_KEYS)}).fetchone()[0]


# What each text becomes in an erased case: as services/cases/erasure.py leaves it.
PLACES = (
    SealedColumns("cases", key="case_id", subject="case_id",
                  columns={"narrative": ERASED, "resolution": None, "response": None,
                           "no_contact_reason": None}),
    SealedColumns("case_notes", key="note_id", subject="case_id", columns={"text": ERASED}),
    TimelineDetails(),
)

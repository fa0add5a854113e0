"""Batch files: suggestion-box slips and call detail records, as CSV or XLSX.

A file is read into rows keyed by lower-case column name, each with the row number a
spreadsheet shows (the header is row 1). CSV may come from Excel: UTF-8 with or without a
byte order mark (else Windows-1252), separated by commas, semicolons or tabs. XLSX: the
first sheet, values as Excel computed them."""
import csv
import hashlib
import io
import zipfile
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from chassis.errors import ApiError
from contracts.common import Consent, ContactDetails, Respondent
from contracts.http import CallRecord
from services.intake import domain

CSV_TYPES = {"text/csv", "application/csv", "text/plain"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def unreadable(reason: str) -> ApiError:
    return ApiError(400, "unreadable_file", "The file cannot be read as CSV or XLSX.", [{"reason": reason}])


def too_many_rows(max_rows: int) -> ApiError:
    return ApiError(413, "too_many_rows",
                    f"A batch may hold at most {max_rows} rows; split the file (or delete its empty rows).")


def read_rows(data: bytes, content_type: str, max_rows: int) -> list[tuple[int, dict[str, str]]]:
    if content_type == XLSX_TYPE:
        table = _xlsx_table(data, max_rows)
    elif content_type in CSV_TYPES:
        table = _csv_table(data)
    else:
        raise ApiError(415, "unsupported_media_type", "Send the file as text/csv or as an XLSX workbook.")
    if not table:
        raise unreadable("the file is empty")
    header = [str(cell or "").strip().lower().lstrip("\ufeff") for cell in table[0]]
    rows = []
    for index, cells in enumerate(table[1:], start=2):
        values = {name: _cell_text(cell) for name, cell in zip(header, cells) if name}
        if any(values.values()):  # a blank row is nobody's slip
            rows.append((index, values))
    if len(rows) > max_rows:
        raise too_many_rows(max_rows)
    return rows


def _cell_text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a phone number typed into Excel comes back as 622123456.0
    if isinstance(cell, datetime):
        return cell.isoformat()
    return str(cell).strip()


def _csv_table(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise unreadable("not valid CSV") from None


def _xlsx_table(data: bytes, max_rows: int) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise unreadable("not a valid XLSX workbook") from None
    try:
        sheet = workbook.worksheets[0]
        table = []
        for cells in sheet.iter_rows(values_only=True):
            # A sheet may hold blank rows between slips, but not without end: past this many the rest
            # is not read, so the file is refused whole rather than recorded cut short.
            if len(table) == max_rows * 2 + 1:
                raise too_many_rows(max_rows)
            table.append(list(cells))
        return table
    finally:
        workbook.close()


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- suggestion-box slips ----------------------------------------------------------------------

BOX_COLUMNS = ("narrative", "language", "sex", "age_group", "disability", "adm1", "adm2", "adm3", "place",
               "name", "phone", "email", "consent_callback", "consent_share")


def box_rows(rows, endpoint_id: str, endpoint, collected_on: date, timezone: str,
             submitted_by: str) -> list[domain.BatchRow]:
    """Each slip as a message received on its collection date, or the reasons it cannot be."""
    if rows and "narrative" not in rows[0][1]:
        raise ApiError(422, "missing_column", "The file needs a `narrative` column (the slip's text).",
                       [{"field": "narrative", "reason": "missing column"}])
    received_at = datetime.combine(collected_on, time(12), ZoneInfo(timezone)).astimezone(UTC)
    seen: dict[str, int] = {}
    result = []
    for number, values in rows:
        # Identical slips in one box are distinct slips: the n-th copy gets its own key.
        content = "\x1f".join(values.get(column, "") for column in BOX_COLUMNS)
        occurrence = seen[content] = seen.get(content, 0) + 1
        key = hashlib.sha256(f"{collected_on}\x1f{content}\x1f{occurrence}".encode()).hexdigest()
        batch_row = domain.BatchRow(row=number, key=key)
        problems = batch_row.problems

        def read(column, reader):
            try:
                return reader(values.get(column))
            except (domain.InvalidAnswer, domain.InvalidPhoneNumber, ValueError) as exc:
                problems.append(domain.RowProblem(number, column, _reason(exc)))
                return None

        narrative = values.get("narrative", "")
        if not narrative:
            problems.append(domain.RowProblem(number, "narrative", "empty"))
        elif domain.too_long(narrative):
            problems.append(domain.RowProblem(number, "narrative",
                                              f"longer than {domain.MAX_NARRATIVE_LENGTH} characters"))
        sex = read("sex", domain.read_sex)
        age_group = read("age_group", domain.read_age_group)
        disability = read("disability", domain.read_yes_no)
        callback = read("consent_callback", domain.read_yes_no)
        share = read("consent_share", domain.read_yes_no)
        phone = read("phone", lambda value: domain.normalize_phone(value, endpoint.country) if value else None)
        email = read("email", lambda value: ContactDetails(email=value).email if value else None)
        name = read("name", domain.read_name)
        adm1, adm2, adm3, place = (read(column, domain.read_area) for column in ("adm1", "adm2", "adm3", "place"))
        language = values.get("language") or None
        if language and domain.language_tag(language) is None:
            problems.append(domain.RowProblem(number, "language", "not a language code such as fr, en or ff"))
        if not problems:
            contact = domain.normalize_contact(ContactDetails(name=name, phone=phone, email=email), endpoint.country)
            batch_row.message = domain.InboundMessage(
                endpoint_id=endpoint_id, country=endpoint.country, channel=endpoint.channel, text=narrative,
                received_at=received_at, provider_message_id=key, contact=contact, language=language,
                consent=Consent(callback=bool(callback) and contact is not None, share_with_partners=bool(share)),
                location=domain.location_of(adm1, adm2, adm3, place),
                respondent=Respondent(sex=sex, age_group=age_group, disability=disability)
                if (sex or age_group or disability is not None) else None,
                submitted_by=submitted_by)
        result.append(batch_row)
    return result


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "not a valid value"
    return str(exc) or "not a valid value"


# --- call detail records -----------------------------------------------------------------------

CALL_COLUMNS = ("call_id", "started_at", "outcome", "wait_seconds", "duration_seconds", "agent_id")


def call_rows(rows, timezone: str) -> list[tuple[int, CallRecord | None, list[domain.RowProblem]]]:
    """Each CSV row as a call record, or the reasons it cannot be. A start time without an offset is
    read in the country's time zone, as telephony exports are usually local. The caller column, if
    any, is never read."""
    missing = [column for column in CALL_COLUMNS[:4] if rows and column not in rows[0][1]]
    if missing:
        raise ApiError(422, "missing_column", f"The file needs the columns {', '.join(CALL_COLUMNS[:4])}.",
                       [{"field": column, "reason": "missing column"} for column in missing])
    result = []
    for number, values in rows:
        data = {column: values.get(column) or None for column in CALL_COLUMNS}
        if data["started_at"]:
            try:
                started = datetime.fromisoformat(data["started_at"].replace("Z", "+00:00"))
                if started.tzinfo is None:
                    started = started.replace(tzinfo=ZoneInfo(timezone))
                data["started_at"] = started
            except ValueError:
                pass  # the contract reports it below
        if data["duration_seconds"] is None:
            data["duration_seconds"] = 0
        data["outcome"] = (data["outcome"] or "").lower() or None
        try:
            result.append((number, CallRecord.model_validate(data), []))
        except ValidationError as exc:
            problems = [domain.RowProblem(number, ".".join(str(part) for part in error["loc"]) or None, error["msg"])
                        for error in exc.errors(include_input=False, include_url=False)]
            result.append((number, None, problems))
    return result

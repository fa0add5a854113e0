"""A report as files field staff open in Excel: XLSX (one sheet per table, a
trend chart, real dates and numbers), CSV, and CSV with HXL hashtags.

Cells hold typed values (dates, integers, fractions), never numbers as text,
so that Excel can sum, filter and chart them.

Text that reached a report from outside (a place, a sub-category, a partner id) is written as text,
never as a formula: a cell starting with =, +, -, @, a tab or a carriage return is an XLSX string
cell shown with a quote prefix, and a CSV field of that kind starts with an apostrophe (OWASP's
advice on CSV injection), so that `=HYPERLINK(...)` typed into a web form stays inert.
"""
import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font

from contracts.http import Count, Report
from services.reporting import reports

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT, DATE_FORMAT = "0.0%", "yyyy-mm-dd"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_field(value) -> str:
    """A value as a CSV field that no spreadsheet will run."""
    text = _text(value)
    return "'" + text if looks_like_formula(value) else text


@dataclass(frozen=True)
class Table:
    title: str  # also the sheet name: at most 31 characters
    headers: tuple[str, ...]
    rows: list[tuple]
    percent_columns: tuple[int, ...] = ()
    percent_rows: tuple[int, ...] = ()  # rows (from 0, headers excluded) whose numbers are shares


def report_tables(report: Report, category_labels: dict[int, str]) -> list[Table]:
    def label(code) -> str:
        return category_labels.get(int(code), "") if str(code).isdigit() else ""

    def breakdown(title: str, counts: list[Count], with_label: bool = False) -> Table:
        if with_label:
            return Table(title, ("Category", "Name", "Messages", "Previous period"),
                         [(_number(c.key), label(c.key), *_shown(c)) for c in counts])
        return Table(title, (title.removeprefix("By ").capitalize(), "Messages", "Previous period"),
                     [(c.key, *_shown(c)) for c in counts])

    m, calls, satisfaction = report.messages, report.calls, report.satisfaction
    deadlines = [report.acknowledge, report.resolve]
    summary = [
        ("Messages received", m.total, m.previous_total),
        ("Calls received", calls.received, calls.previous_received),
        ("Calls answered", calls.answered, None),
        ("Calls abandoned", calls.abandoned, None),
        ("Average waiting time (seconds)", calls.average_wait_seconds, None),
        ("Acknowledged within deadline (share)", report.acknowledge.share_within_deadline, None),
        ("Resolved within deadline (share)", report.resolve.share_within_deadline, None),
        ("Median hours to acknowledge", report.acknowledge.median_hours, None),
        ("90th percentile hours to acknowledge", report.acknowledge.p90_hours, None),
        ("Median hours to resolve", report.resolve.median_hours, None),
        ("90th percentile hours to resolve", report.resolve.p90_hours, None),
        ("Open cases at end of period", sum(bucket.count for bucket in report.backlog), None),
        ("Referrals made", sum(partner.made for partner in report.referrals), None),
        ("Replies sent to complainants", report.replies_sent, None),
        ("Satisfaction answers", satisfaction.answered if satisfaction else None, None),
        ("Satisfied with the answer (share)", _satisfaction_share(satisfaction), None),
        ("Callbacks made", sum(row.attempts for row in report.callbacks), None),
        ("People reached by callback", sum(row.reached for row in report.callbacks), None),
    ]
    return [
        Table("Summary", ("Figure", "This period", "Previous period"), summary,
              percent_rows=tuple(number for number, row in enumerate(summary) if row[0].endswith("(share)"))),
        Table("Trend", (f"{report.period.capitalize()} starting", "Messages", "Calls"),
              [(point.period_start, point.messages, point.calls) for point in report.trend]),
        Table("Daily", ("Day", "Messages", "Calls"),
              [(point.period_start, point.messages, point.calls) for point in report.daily]),
        breakdown("By channel", m.by_channel),
        breakdown("By category", m.by_category, with_label=True),
        breakdown("By sex", m.by_sex),
        breakdown("By age group", m.by_age_group),
        breakdown("By disability", m.by_disability),
        breakdown("By location", m.by_location),
        breakdown("By country", m.by_country),
        Table("Deadlines", ("Deadline", "Settled", "Within deadline", "Overdue, not done", "Share within deadline",
                            "Median hours", "90th percentile hours"),
              [(d.kind, d.settled, d.within_deadline, d.overdue_unsettled, d.share_within_deadline,
                d.median_hours, d.p90_hours) for d in deadlines], percent_columns=(4,)),
        Table("Backlog", ("Age in days", "Open cases"), [(bucket.age, bucket.count) for bucket in report.backlog]),
        Table("Referrals", ("Partner", "Made", "Accepted", "Declined", "Pending", "Overdue"),
              [(r.partner_id, r.made, r.accepted, r.declined, r.pending, r.overdue) for r in report.referrals]),
        Table("Appointments", ("Centre", "Country", "Booked", "Attended", "Missed", "Cancelled"),
              [(a.centre_id, a.country, a.booked, a.attended, a.missed, a.cancelled) for a in report.appointments]),
        Table("Responses", ("Answered by", "Cases closed"), [(c.key, c.count) for c in report.responses_by_channel]),
        Table("Topics", ("Category", "Name", "Sub-category", "Messages", "Previous period", "Rising"),
              [(t.category_code, label(t.category_code) if t.category_code else "", t.sub_category or "",
                t.count, t.previous, "yes" if t.rising else "") for t in report.topics]),
        Table("Callbacks", CALLBACK_HEADERS, [callback_row(row) for row in report.callbacks]),
        *_satisfaction_tables(satisfaction),
    ]


CALLBACK_REASONS = ("message_failed", "no_sms", "needs_explaining")
CALLBACK_HEADERS = ("Country", "Tasks opened", "Opened: message failed", "Opened: cannot be texted",
                    "Opened: answer to explain", "Calls made", "People reached", "Unreachable",
                    "Median hours to reach", "Mean hours to reach",
                    *(f"Reached in {label}" for label, *_ in reports.REACH_DELAYS))


def callback_row(row) -> tuple:
    return (row.country, row.opened, *(row.opened_by_reason.get(reason, 0) for reason in CALLBACK_REASONS),
            row.attempts, row.reached, row.unreachable, row.median_hours_to_reach, row.mean_hours_to_reach,
            *(row.reach_delay.get(label, 0) for label, *_ in reports.REACH_DELAYS))


def _satisfaction_tables(satisfaction) -> list[Table]:
    """% satisfied by country, channel and category (none in a report stored before it was counted)."""
    if satisfaction is None:
        return []
    return [Table(f"Satisfaction by {what}", (what.capitalize(), "Answers", "Satisfied", "Share satisfied"),
                  [(_number(line.key), *_shown_line(line)) for line in lines], percent_columns=(3,))
            for what, lines in (("country", satisfaction.by_country), ("channel", satisfaction.by_channel),
                                ("category", satisfaction.by_category))]


def _shown_line(line) -> tuple:
    """(answered, satisfied, share) as a file shows them: `<5` for each figure of a withheld line."""
    if not line.suppressed:
        return line.answered, line.satisfied, line.share_satisfied
    return reports.SUPPRESSED, reports.SUPPRESSED, reports.SUPPRESSED


def _satisfaction_share(satisfaction):
    """The summary's share satisfied: `<5` when the total was too small to show it."""
    if satisfaction is None:
        return None
    return reports.SUPPRESSED if satisfaction.suppressed else satisfaction.share_satisfied


def _shown(count: Count) -> tuple:
    """(this period, previous period) as a file shows them: `<5` for a withheld figure."""
    if not count.suppressed:
        return count.count, count.previous
    return reports.shown_count(count.count), reports.shown_count(count.previous)


def _number(key: str):
    return int(key) if key.isdigit() else key


def to_xlsx(report: Report, category_labels: dict[int, str]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    tables = report_tables(report, category_labels)
    for table in tables:
        sheet = workbook.create_sheet(table.title)
        if table.title == "Summary":
            _write_heading(sheet, report)
        start_row = sheet.max_row + 1 if table.title == "Summary" else 1
        sheet.append(list(table.headers))
        for cell in sheet[start_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        for number, row in enumerate(sheet.iter_rows(min_row=start_row + 1)):
            for cell in row:
                if looks_like_formula(cell.value):
                    _as_text(cell)
                elif isinstance(cell.value, date):
                    cell.number_format = DATE_FORMAT
                elif isinstance(cell.value, float) and (
                        cell.column - 1 in table.percent_columns or number in table.percent_rows):
                    cell.number_format = PERCENT
        for column, header in enumerate(table.headers, start=1):
            sheet.column_dimensions[sheet.cell(row=start_row, column=column).column_letter].width = max(
                12, len(header) + 2)
        sheet.freeze_panes = sheet.cell(row=start_row + 1, column=1)
        if table.title == "Trend":
            _add_trend_chart(sheet, len(table.rows), report)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _as_text(cell) -> None:
    """A string cell (openpyxl makes one starting with = a formula), with Excel's quote prefix, so that
    editing the cell does not turn it into a formula either."""
    cell.data_type = "s"
    cell.quotePrefix = True


def _write_heading(sheet, report: Report) -> None:
    sheet.append([f"Feedback report, {report.period} of {report.start.isoformat()}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["Scope", report.scope])
    sheet.append(["Countries", ", ".join(report.countries)])
    sheet.append(["From", report.start])
    sheet.append(["To", report.end])
    sheet.append(["Time zone", report.timezone])
    sheet.append(["Generated", report.generated_at.replace(tzinfo=None)])
    for row in (4, 5):
        sheet.cell(row=row, column=2).number_format = DATE_FORMAT
    sheet.cell(row=7, column=2).number_format = "yyyy-mm-dd hh:mm"
    sheet.append([])


def _add_trend_chart(sheet, rows: int, report: Report) -> None:
    chart = LineChart()
    chart.title = f"Messages and calls by {report.period}"
    chart.y_axis.title = "Count"
    chart.x_axis.number_format = DATE_FORMAT
    chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows + 1))
    chart.width, chart.height = 20, 9
    sheet.add_chart(chart, "E2")


def to_csv(report: Report, category_labels: dict[int, str]) -> str:
    """Every table in one tidy CSV: a line per table, row and column (`measure`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scope", "period", "start", "end", "table", "key", "measure", "value"])
    for table in report_tables(report, category_labels):
        for row in table.rows:
            for measure, value in zip(table.headers[1:], row[1:]):
                writer.writerow([report.scope, report.period, report.start.isoformat(), report.end.isoformat(),
                                 table.title, csv_field(row[0]), measure, csv_field(value)])
    return out.getvalue()


HXL_COLUMNS = (
    ("Period start", "#date+start"), ("Period end", "#date+end"), ("Country", "#country+code"),
    ("Region", "#adm1+name"), ("Channel", "#channel"), ("Category", "#x_category+code"),
    ("Category name", "#x_category+name"), ("Sub-category", "#sector"), ("Status", "#status"),
    ("Satisfaction answers", "#indicator+answers+satisfaction"), ("Satisfied", "#indicator+satisfied"),
    ("Messages", "#meta+count"),
)


def to_hxl_csv(report: Report, cases: list[dict], category_labels: dict[int, str]) -> str:
    """Cases of the period counted by country, region, channel, category and status, with HXL hashtags.

    `cases`: the period's case documents (only the fields counted here). A restricted case keeps
    only its country, category and status: in a small place, a region and a channel beside an
    abuse category could point to a person. A row of 1 to 4 cases says `<5`. Each row also says how many
    of its cases answered the satisfaction question after closure so far, and how many were satisfied.
    """
    def group(case: dict) -> tuple:
        return (case["country"], "" if case.get("restricted") else case.get("adm1") or "",
                "" if case.get("restricted") else case.get("channel") or "", case.get("category_code"),
                "" if case.get("restricted") else case.get("sub_category") or "", case.get("status") or "")
    counted = Counter(group(case) for case in cases)
    # Of these cases, how many answered the satisfaction question after closure so far, and said yes.
    answered = Counter(group(case) for case in cases if case.get("satisfied") is not None)
    satisfied = Counter(group(case) for case in cases if case.get("satisfied") is True)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _ in HXL_COLUMNS])
    writer.writerow([hashtag for _, hashtag in HXL_COLUMNS])
    for key, count in sorted(counted.items(), key=lambda item: tuple(str(part) for part in item[0])):
        country, region, channel, category, sub_category, status = key
        writer.writerow([csv_field(value) for value in (
            report.start.isoformat(), report.end.isoformat(), country, region, channel,
            "" if category is None else category, category_labels.get(category, ""), sub_category, status,
            _small(answered[key]), _small(satisfied[key]), _small(count))])
    return out.getvalue()


def _small(count: int) -> int | str:
    """A count of cases in one HXL row: `<5` from 1 to 4 (a region, a channel and a category can point to a
    person), 0 and larger counts as they are."""
    return reports.SUPPRESSED if reports.is_small(count) else count


CALLBACK_HXL_COLUMNS = (
    ("Period start", "#date+start"), ("Period end", "#date+end"), ("Country", "#country+code"),
    ("Callbacks opened", "#x_callbacks+opened"), ("Calls made", "#x_callbacks+calls"),
    ("People reached", "#reached+callback"), ("Unreachable", "#x_callbacks+unreachable"),
    ("Median hours to reach", "#x_callbacks+delay+median+hours"),
    ("Mean hours to reach", "#x_callbacks+delay+mean+hours"),
)


def to_callbacks_hxl_csv(report: Report) -> str:
    """The Callbacks table with HXL hashtags, a row per country (`GET /v1/reports?format=hxl&table=callbacks`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _ in CALLBACK_HXL_COLUMNS])
    writer.writerow([hashtag for _, hashtag in CALLBACK_HXL_COLUMNS])
    for row in report.callbacks:
        writer.writerow([_text(value) for value in (
            report.start, report.end, row.country, row.opened, row.attempts, row.reached, row.unreachable,
            row.median_hours_to_reach, row.mean_hours_to_reach)])
    return out.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)

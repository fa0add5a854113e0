"""Retention rules: which kinds a run looks at, in which country, older than what."""
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from chassis.retention import GENERIC_KINDS, RetentionKind, plan
from chassis.settings import RetentionSettings
from services.cases.retention import KINDS as CASE_KINDS

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def service_settings(**retention):
    return SimpleNamespace(retention=RetentionSettings(**retention), countries={"GN": None, "ML": None})


def cutoffs(settings, kinds=GENERIC_KINDS + CASE_KINDS):
    return {(due.kind.name, due.country): NOW - due.cutoff for due in plan(settings, kinds, NOW)}


def test_the_documented_defaults_apply_in_every_country():
    steps = cutoffs(service_settings())
    assert steps[("outbox_published", "GN")] == timedelta(days=7)
    assert steps[("closed_cases", "ML")] == timedelta(days=730)          # 24 months
    assert steps[("closed_sensitive_cases", "GN")] == timedelta(days=1825)
    # processed-message ids carry no country: one step for all, not one per country
    assert steps[("processed_messages", None)] == timedelta(days=14)
    assert not any(kind == "processed_messages" and country for kind, country in steps)


def test_a_country_overrides_only_the_kinds_it_names():
    steps = cutoffs(service_settings(countries={"GN": {"closed_cases": 365, "closed_sensitive_cases": 3650}}))
    assert steps[("closed_cases", "GN")] == timedelta(days=365)
    assert steps[("closed_sensitive_cases", "GN")] == timedelta(days=3650)
    assert steps[("closed_cases", "ML")] == timedelta(days=730)
    assert steps[("outbox_published", "GN")] == timedelta(days=7)


def test_a_period_of_null_keeps_that_kind_forever_there():
    steps = cutoffs(service_settings(countries={"ML": {"closed_cases": None}},
                                     periods={"outbox_published": None}))
    assert ("closed_cases", "ML") not in steps and ("closed_cases", "GN") in steps
    assert not any(kind == "outbox_published" for kind, _ in steps)


def test_a_period_of_zero_days_takes_everything_up_to_now():
    assert cutoffs(service_settings(countries={"GN": {"closed_cases": 0}}))[("closed_cases", "GN")] == timedelta(0)


@pytest.mark.parametrize("countries", [{"GN": {"closed_casse": 30}}, {"GN": {"closed_cases": -1}}])
def test_a_mistyped_kind_or_a_negative_period_is_refused(countries):
    with pytest.raises(ValidationError):
        RetentionSettings(countries=countries)


def test_a_service_only_plans_the_kinds_it_keeps():
    extra = RetentionKind("provider_payloads", per_country=True, count=None, apply=None)
    assert {kind for kind, _ in cutoffs(service_settings(), GENERIC_KINDS + (extra,))} == {
        "outbox_published", "processed_messages", "provider_payloads"}


def test_reporting_keeps_an_anonymised_case_as_a_statistic_without_its_text_whatever_the_order():
    from uuid import uuid4

    from contracts.envelope import Envelope
    from contracts.events import CaseAnonymised, CaseClassified
    from services.reporting.domain import apply_event

    case_id = uuid4()
    common = dict(case_id=case_id, reference="GN-2026-000042", status="closed", restricted=False, at=NOW, by="system")
    anonymised = CaseAnonymised(**common, case_version=9, feedback_ids=[uuid4()])
    # an older classification lifting a restriction arrives after the anonymisation
    late = CaseClassified(**common, case_version=5, category_code=4, taxonomy_version=1, sensitive=False,
                          confirmed=True, narrative="Le paiement est en retard, appelez Fanta")
    doc = {"narrative": "Le paiement est en retard", "has_contact": True, "category_code": 4, "versions": {}}
    for event in (anonymised, late):
        doc = apply_event(doc, Envelope.wrap(event, country="GN", producer="cases", correlation_id=uuid4()), event)
    assert doc["narrative"] is None and doc["has_contact"] is False
    assert (doc["country"], doc["category_code"], doc["status"]) == ("GN", 4, "closed")


STOP_WORDS = ["STOP", "ARRET", "STOP ALL", "A DABILA"]


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop. ", "Arrêt", "ARRÊT !", "arret", "stop   all",
                                  "Stop-All", "a dabila", "À DABILA"])
def test_a_stop_word_withdraws_consent_whatever_its_case_accents_spacing_or_punctuation(text):
    from services.intake.consent import is_stop_word
    assert is_stop_word(text, STOP_WORDS)


@pytest.mark.parametrize("text", ["Stop à la fraude au centre de Kindia", "arrête de me demander de l'argent",
                                  "STOPP", "", "!!!", "STATUT GN-2026-000042", "dabila"])
def test_a_message_that_is_more_or_other_than_a_stop_word_is_a_complaint(text):
    from services.intake.consent import is_stop_word
    assert not is_stop_word(text, STOP_WORDS)

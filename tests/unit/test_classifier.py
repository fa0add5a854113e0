"""The first classification: phrases in French and English however they are typed, national-language
phrases from configuration, the safe-side fallback, and the figures on the labelled messages."""
import pytest

from services.cases.classifier import floor, suggest
from services.cases.evaluate import configured_phrases, load_messages, score


@pytest.mark.parametrize("narrative", [
    "Le chef de site a fait un détournement de l'argent du projet",
    "LE CHEF DE SITE A FAIT UN DETOURNEMENT DE L'ARGENT",
    "le chef de site a fait un detournement",
])
def test_accents_and_case_do_not_matter(narrative):
    suggestion = suggest(narrative)
    assert suggestion.sensitive and suggestion.category_code == 7
    assert "fraud_corruption: detourn*" in suggestion.reasons


@pytest.mark.parametrize("narrative, category", [
    ("on ma menasse de mort hier", 9),           # misspelt, no apostrophe
    ("My neighbour threatned to kill me", 9),
    ("il ma harcelé tout le mois", 6),
    ("the guard wants me to sleep wit him", 6),
    ("The agent collected 5000 naira from everybody before registration", 7),  # no word 'bribe'
])
def test_common_misspellings_and_indirect_wording_are_flagged(narrative, category):
    suggestion = suggest(narrative)
    assert suggestion.sensitive and suggestion.category_code == category


def test_a_threat_to_life_is_an_emergency_whatever_else_matches():
    suggestion = suggest("Le chef demande de l'argent et menace de me tuer si je refuse")
    assert suggestion.category_code == 9 and suggestion.emergency
    assert {"threat_to_life", "fraud_corruption"} <= set(suggestion.sensitive_rules)


def test_ordinary_messages_get_a_category_and_sub_category_with_reasons():
    suggestion = suggest("Quand est la prochaine formation en couture ?")
    assert not suggestion.sensitive
    assert (suggestion.category_code, suggestion.sub_category) == (1, "training")
    assert 0 < suggestion.confidence < 1
    assert "information_request: quand" in suggestion.reasons
    assert suggest("Le paiement Orange Money est en retard").sub_category == "cash"
    assert suggest("Merci beaucoup pour le soutien").category_code == 3


def test_a_message_no_rule_recognises_is_held_for_a_focal_point():
    suggestion = suggest("Ils ont pris mes affaires et je dors chez un voisin maintenant")
    assert suggestion.sensitive and suggestion.category_code is None
    assert suggestion.sensitive_rules == ("unplaced",)


def test_national_language_phrases_come_from_configuration():
    without = suggest("Yace zai kashe ni")  # Hausa: he said he will kill me
    assert without.category_code is None and not without.emergency  # only the fallback holds it
    flagged = suggest("Yace zai kashe ni", configured_phrases())
    assert flagged.category_code == 9 and flagged.emergency
    assert "threat_to_life: zai kashe ni" in flagged.reasons


def test_the_labelled_set_is_large_and_mixed():
    messages = load_messages()
    assert len(messages) >= 150
    assert {m["language"] for m in messages} == {"fr", "en"}
    assert sum(m["split"].startswith("held_out") for m in messages) >= 100
    assert sum(m["sensitive"] for m in messages) >= 60


def test_sensitive_recall_on_the_labelled_set_is_at_least_095():
    scores = score(load_messages())
    assert scores.recall >= 0.95, f"missed: {scores.missed}"
    assert scores.precision >= 0.8


@pytest.mark.parametrize("split", ["held_out_1", "held_out_2"])
def test_sensitive_recall_on_the_held_out_parts_stays_above_its_measured_floor(split):
    # Measured 0.938 (30 of 32) and 0.933 (28 of 30); this guards against regressions.
    scores = score([m for m in load_messages() if m["split"] == split])
    assert scores.recall >= 0.9, f"missed: {scores.missed}"


def test_the_floor_reads_the_text_once_and_finds_what_the_phrase_rules_find():
    phrases = configured_phrases()
    for message in load_messages():
        rules = {rule for rule in suggest(message["text"], phrases).sensitive_rules if rule != "unplaced"}
        assert set(floor(message["text"], phrases).rules) == rules, message["id"]
    found = floor("Il m'a MENACÉE de mort, et il a menacé ma soeur")
    assert found.threat_to_life and "threat_to_life: menac* de mort" in found.reasons
    assert floor("la menace").rules == ("staff_misconduct",) and not floor("menagere").rules

"""The statistical classifier: what it hides and alerts on, the rules as its floor, the explanation,
the weights as plain JSON that match scikit-learn, reproducible training and the promotion rule."""
import json
import math
from uuid import uuid4

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from services.cases import classifier, model, train
from services.cases.evaluate import configured_phrases


@pytest.fixture(scope="module")
def base():
    return model.load(model.model_path(None))


@pytest.mark.parametrize("narrative", [
    # The kinds of message the issue says the rules missed, in words of our own.
    "Merci pour tout. Dites a mes enfants que je les aime. J'ai avale toute la boite de comprimes ce soir.",
    "I have the rope ready and tonight when everybody sleeps I will finish it, I cannot continue",
])
def test_a_threat_to_life_told_without_the_rules_words_is_an_emergency(base, narrative):
    suggestion = model.classify(narrative, model=base)
    assert suggestion.emergency and suggestion.sensitive and "model" in suggestion.sensitive_rules


@pytest.mark.parametrize("narrative", [
    "Le chef de site dit qu'une femme seule doit savoir remercier si elle veut son kit",
    "Trois mois qu'on attend le cash; l'agent dit que ca ira plus vite si chacun lui donne 5000",
    "Ma voisine a envoye sa fille de 11 ans travailler comme bonne chez des gens en ville",
])
def test_exploitation_a_bribe_and_child_labour_told_indirectly_are_hidden(base, narrative):
    assert model.classify(narrative, model=base).sensitive


@pytest.mark.parametrize("narrative, category", [
    ("Bonjour, quand est la prochaine distribution de cash a Kindia ? Merci", 1),
    ("Thank you so much, the training was very useful and the staff were kind", 3),
])
def test_ordinary_messages_stay_visible_with_their_category(base, narrative, category):
    suggestion = model.classify(narrative, model=base)
    assert not suggestion.sensitive and not suggestion.emergency
    assert suggestion.category_code == category and 0 < suggestion.confidence <= 1


def test_the_rules_are_a_floor_the_model_cannot_lower(base):
    never = model.Model.__new__(model.Model)
    never.__dict__.update(base.__dict__, thresholds={**base.thresholds, "sensitive": 1.1, "emergency": 1.1})
    threatened = model.classify("Mon oncle a dit qu'il va me tuer", model=never)
    assert threatened.emergency and threatened.sensitive and threatened.sensitive_rules == ("threat_to_life",)
    assert model.classify("le chef a fait un detournement", model=never).sensitive
    # A country's phrases in a national language are part of the floor too.
    assert model.classify("Yace zai kashe ni", configured_phrases(), model=never).emergency
    assert not model.classify("Quand est la prochaine formation ?", model=never).sensitive


def test_the_explanation_quotes_the_weightiest_words_and_never_the_repr(base):
    narrative = "Le gardien veut que je dorme chez lui pour avoir le kit"
    suggestion = model.classify(narrative, model=base)
    assert suggestion.explanation
    assert all(phrase in classifier.normalise(narrative) for phrase in suggestion.explanation)
    shown = repr(suggestion)
    assert suggestion.model_version in shown
    assert not any(phrase in shown for phrase in suggestion.explanation + suggestion.reasons)


def small_training_set() -> list[train.Example]:
    return [e for e in train.load_labelled() if e.part == "train"]


def test_the_weights_are_plain_json_and_score_like_scikit_learn():
    examples = small_training_set()
    body = train.fit(examples, {"sensitive": 0.5, "emergency": 0.5})
    loaded = model.Model(json.loads(json.dumps(body)))
    counts = [train._counts(e.text) for e in examples]
    x = train.matrix(counts, body["features"], dict(zip(body["features"], body["idf"])))
    reference = LogisticRegression(C=train.C, class_weight="balanced", solver="liblinear", max_iter=5000)
    expected = reference.fit(x, [e.sensitive for e in examples]).predict_proba(x[:20])[:, 1]
    got = [1 / (1 + math.exp(-loaded.scores(e.text)[0][0])) for e in examples[:20]]
    assert np.allclose(got, expected, atol=0.01)


def test_training_twice_on_the_same_messages_gives_the_same_model():
    examples = small_training_set()
    first = train.fit(examples, {"sensitive": 0.4, "emergency": 0.2})
    second = train.fit(list(examples), {"sensitive": 0.4, "emergency": 0.2})
    assert first["version"] == second["version"] and first["version"].startswith("base-")
    assert train.fit(examples[1:], {"sensitive": 0.4, "emergency": 0.2})["version"] != first["version"]


def test_a_new_model_is_promoted_only_if_its_sensitive_and_emergency_recall_do_not_drop():
    current = {"sensitive_recall": 0.96, "emergency_recall": 0.92}
    assert train.promotable({"sensitive_recall": 0.97, "emergency_recall": 0.92}, current)[0]
    assert not train.promotable({"sensitive_recall": 0.99, "emergency_recall": 0.91}, current)[0]
    assert not train.promotable({"sensitive_recall": 0.95, "emergency_recall": 1.0}, current)[0]
    assert train.promotable({"sensitive_recall": 0.5, "emergency_recall": 0.5}, None)[0]


def test_a_confirmed_case_falls_in_the_held_out_part_one_time_in_five_and_always_the_same():
    ids = [uuid4() for _ in range(2000)]
    parts = [model.example_part(case_id) for case_id in ids]
    assert 0.15 < parts.count("held_out") / len(parts) < 0.25
    assert parts == [model.example_part(case_id) for case_id in ids]


def test_the_thresholds_are_chosen_for_recall_on_the_training_part_only():
    scores = np.array([0.9, 0.8, 0.3, 0.2, 0.1])
    truth = np.array([True, True, True, False, True])
    assert train._highest_threshold(scores, truth, np.zeros(5, bool), 0.75) == 0.3
    # What the rules already find needs no lower threshold.
    assert train._highest_threshold(scores, truth, np.array([False, False, False, False, True]), 1.0) == 0.3


def test_a_visible_message_is_never_suggested_a_sensitive_category(base):
    for example in train.load_labelled():
        suggestion = model.classify(example.text, model=base, explain=False)
        assert suggestion.sensitive or suggestion.category_code not in model.SENSITIVE_CATEGORIES
        assert suggestion.sensitive or not suggestion.emergency

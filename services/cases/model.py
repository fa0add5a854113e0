"""The statistical classifier beside the phrase rules (pure: no network, no database).

A message becomes word, word-pair and character n-gram features (on the same normalised text as the
rules), weighted by tf-idf; linear weights learnt by `services.cases.train` turn them into four
decisions, each with its own threshold chosen on the training part for recall:

- sensitive: hide the case from agents now;
- emergency: a threat to life, alert now;
- the category (1-11) and sub-category, with a confidence.

The rules stay a floor: a sensitive phrase the rules know keeps the message sensitive, a threat-to-life
phrase keeps it an emergency, whatever the model says. The model is a JSON file of weights (nothing
executable is unpickled), loaded once per file; `classify` costs well under 2 ms
(`make bench-classifier`). The words that weighed most in a decision (`Classification.explanation`)
are for the focal point's view of the case only: they quote the message, so they never go to logs
(they are left out of the repr).
"""
import hashlib
import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from services.cases import classifier
from services.cases.classifier import normalise

MODELS = Path(__file__).parent / "models"
SENSITIVE_CATEGORIES = frozenset({6, 7, 8, 9, 10})
EMERGENCY_CATEGORY = 9
CHAR_SIZES = (3, 4, 5)
NO_SUB_CATEGORY = "none"


@lru_cache(maxsize=65536)
def _word_features(word: str) -> tuple[str, ...]:
    """A word's own features: itself and its character n-grams (padded, so beginnings and endings count)."""
    padded = f" {word} "
    grams = [f"w {word}"]
    for size in CHAR_SIZES:
        grams += [f"c {padded[i:i + size]}" for i in range(len(padded) - size + 1)]
    return tuple(grams)


def features(text: str) -> list[tuple[str, int]]:
    """Every feature of a text with the index of the word it belongs to (a pair belongs to its first)."""
    words = normalise(text).split()
    result = [(feature, i) for i, word in enumerate(words) for feature in _word_features(word)]
    result += [(f"b {first} {second}", i) for i, (first, second) in enumerate(zip(words, words[1:]))]
    return result


def tfidf(counts: Mapping[str, int], idf: Mapping[str, float]) -> dict[str, float]:
    """Sublinear term frequency times idf, unit length; features outside the vocabulary are dropped."""
    values = {f: (1.0 + math.log(n)) * idf[f] for f, n in counts.items() if f in idf}
    norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
    return {f: v / norm for f, v in values.items()}


@dataclass(frozen=True)
class Classification:
    """What the model and the rules make of a narrative, before a person confirms it."""

    category_code: int | None
    sub_category: str | None
    confidence: float
    sensitive: bool
    emergency: bool
    model_version: str
    p_sensitive: float
    p_emergency: float
    reasons: tuple[str, ...] = field(repr=False)        # the rules' matched phrases, quoted from the text
    sensitive_rules: tuple[str, ...] = ()                # names only: which rules (or `model`) hid it
    explanation: tuple[str, ...] = field(default=(), repr=False)  # words that weighed most, quoted


class Model:
    """Weights loaded from one JSON file; see services.cases.train for how they are made."""

    def __init__(self, body: dict):
        self.version: str = body["version"]
        self.thresholds: dict[str, float] = body["thresholds"]
        vocabulary = body["features"]
        self.index = {feature: i for i, feature in enumerate(vocabulary)}
        self.vocabulary = vocabulary
        self.idf = np.asarray(body["idf"], dtype=np.float64)
        outputs = body["outputs"]
        self.categories: list[int] = outputs["category"]["classes"]
        self.sub_categories: list[str] = outputs["sub_category"]["classes"]
        # One matrix: column 0 sensitive, 1 emergency, then the categories, then the sub-categories.
        columns = ([outputs["sensitive"]["weights"]], [outputs["emergency"]["weights"]],
                   outputs["category"]["weights"], outputs["sub_category"]["weights"])
        self.weights = np.asarray([row for group in columns for row in group], dtype=np.float32).T.copy()
        self.bias = np.asarray([outputs["sensitive"]["bias"], outputs["emergency"]["bias"],
                                *outputs["category"]["bias"], *outputs["sub_category"]["bias"]])
        self.n_categories = len(self.categories)
        self._word_rows: dict[str, tuple[int, ...]] = {}

    def _rows_of(self, word: str) -> tuple[int, ...]:
        """The vocabulary rows of a word's own features (cached: words repeat from message to message)."""
        rows = self._word_rows.get(word)
        if rows is None:
            if len(self._word_rows) > 100_000:  # misspellings are endless: keep the cache bounded
                self._word_rows.clear()
            get = self.index.get
            rows = tuple(i for i in map(get, _word_features(word)) if i is not None)
            self._word_rows[word] = rows
        return rows

    def scores(self, text: str) -> tuple[np.ndarray, list[int], np.ndarray, list[str]]:
        """Raw scores of every output; also the rows used, their tf-idf values, and the text's words."""
        tokens = normalise(text).split()
        counts: Counter = Counter()
        for word in tokens:
            counts.update(self._rows_of(word))
        get = self.index.get
        counts.update(i for i in map(get, (f"b {a} {b}" for a, b in zip(tokens, tokens[1:]))) if i is not None)
        if not counts:
            return self.bias.copy(), [], np.zeros(0), tokens
        rows = list(counts)
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[rows]
        values /= np.linalg.norm(values)
        return self.bias + values @ self.weights[rows], rows, values, tokens

    def explain(self, text: str, output: int, scored=None, top: int = 5) -> tuple[str, ...]:
        """The words (or word pairs) whose features pushed `output` up the most (`scored`: what
        `scores` answered for this text, to avoid computing it twice)."""
        _, rows, values, tokens = scored or self.scores(text)
        if not rows:
            return ()
        contribution = dict(zip(rows, (values * self.weights[rows, output]).tolist()))
        weight: dict[str, float] = {}
        for word in set(tokens):
            if len(word) > 2:  # "i", "on", "a" weigh a little everywhere and explain nothing
                weight[word] = sum(contribution.get(i, 0.0) for i in self._rows_of(word))
        for pair in {f"{a} {b}" for a, b in zip(tokens, tokens[1:])}:
            i = self.index.get(f"b {pair}")
            if i is not None:
                weight[pair] = contribution.get(i, 0.0)
        ranked = sorted((w, phrase) for phrase, w in weight.items() if w > 0)
        return tuple(phrase for _, phrase in reversed(ranked[-top:]))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max())
    return exp / exp.sum()


def sensitive_score(p_sensitive: float, category_probabilities, categories: list[int]) -> float:
    """The larger of the sensitive model's probability and the category model's probability of a
    sensitive category: two views of the same question, and either may be the one that knows."""
    mass = sum(p for c, p in zip(categories, category_probabilities) if c in SENSITIVE_CATEGORIES)
    return max(p_sensitive, float(mass))


def emergency_score(p_emergency: float, category_probabilities, categories: list[int]) -> float:
    """The mean of the emergency model's probability and the category model's probability of 9."""
    return (p_emergency + float(category_probabilities[categories.index(EMERGENCY_CATEGORY)])) / 2


def suggested_category(probabilities, categories: list[int], sensitive: bool, consistent: bool) -> int:
    """A visible message gets the likeliest ordinary category (a sensitive category on a case agents
    see would contradict its restriction). A hidden one gets the likeliest category, or when
    `consistent` the likeliest sensitive one; an ordinary category on a hidden case is the safe side."""
    order = np.argsort(-np.asarray(probabilities), kind="stable")
    if not consistent and sensitive:
        return categories[order[0]]
    return next((categories[i] for i in order if (categories[i] in SENSITIVE_CATEGORIES) == sensitive),
                categories[order[0]])


def decide(model: Model, text: str, floor, explain: bool = False) -> Classification:
    """Combine the model's scores with the rules' floor (a classifier.Floor)."""
    scored = model.scores(text)
    raw = scored[0]
    probabilities = _softmax(raw[2:2 + model.n_categories])
    sub_probabilities = _softmax(raw[2 + model.n_categories:])
    p_sensitive = sensitive_score(_sigmoid(raw[0]), probabilities, model.categories)
    p_emergency = emergency_score(_sigmoid(raw[1]), probabilities, model.categories)
    model_emergency = p_emergency >= model.thresholds["emergency"]
    model_sensitive = model_emergency or p_sensitive >= model.thresholds["sensitive"]
    emergency = model_emergency or floor.threat_to_life
    sensitive = emergency or model_sensitive or bool(floor.rules)
    category = suggested_category(probabilities, model.categories, sensitive,
                                  model.thresholds.get("consistent_category", True))
    confidence = float(probabilities[model.categories.index(category)])
    sub = model.sub_categories[int(np.argmax(sub_probabilities))]
    rules = list(floor.rules) + (["model"] if model_sensitive else [])
    explanation = ()
    if explain:
        output = 1 if emergency else 0 if sensitive else 2 + model.categories.index(category)
        explanation = tuple(phrase.replace("qmark", "?") for phrase in model.explain(text, output, scored))
    return Classification(
        category_code=category, sub_category=None if sub == NO_SUB_CATEGORY else sub,
        confidence=round(confidence, 3), sensitive=sensitive, emergency=emergency, model_version=model.version,
        p_sensitive=round(p_sensitive, 4), p_emergency=round(p_emergency, 4), reasons=floor.reasons,
        sensitive_rules=tuple(rules) if sensitive else (), explanation=explanation)


def example_part(case_id) -> str:
    """A person's classification of a case is held out one time in five, drawn from the case id so the
    same case always falls in the same part."""
    return "held_out" if hashlib.sha256(str(case_id).encode()).digest()[0] % 5 == 0 else "train"


@lru_cache(maxsize=16)
def _load(path: str, modified: float) -> Model:
    return Model(json.loads(Path(path).read_text()))


def load(path: Path) -> Model:
    """The model in this file, read once (again only when the file was replaced by a promotion)."""
    return _load(str(path), path.stat().st_mtime)


def model_path(country: str | None, models: Path = MODELS) -> Path:
    """A country's own model when one was promoted for it, the base model otherwise."""
    if country:
        own = models / f"{country.upper()}.json"
        if own.exists():
            return own
    return models / "base.json"


def classify(narrative: str, extra_phrases: Mapping[str, list[str]] | None = None, *,
             model: Model | None = None, country: str | None = None, explain: bool = True) -> Classification:
    """Classify one narrative: the model (the country's, else the base one) with the rules as a floor."""
    model = model or load(model_path(country))
    return decide(model, narrative, classifier.floor(narrative, extra_phrases), explain=explain)

"""Measure the first classification on the labelled messages: `python -m services.cases.evaluate`
(or `make evaluate-classifier`).

Prints, for the development part (the rules were tuned on it), the two held-out parts (see
SPLITS) and all together: the recall and precision of the sensitive flag, and how often the
suggested category is the labelled one. `--errors` lists the messages it gets wrong.
Then the same for the statistical classifier (services/cases/model.py) on the held-out messages only.
The phrases configured for national languages (services/cases/config.yml) take part, all countries
together, since the labelled messages carry no country.
"""
import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from services.cases.classifier import suggest

HERE = Path(__file__).parent
LABELLED = HERE / "evaluation" / "labelled_messages.jsonl"
# dev: the rules were tuned on it. held_out_1: written after the phrase rules, then the `unplaced`
# fallback was designed after its first measurement. held_out_2: written after every rule change.
SPLITS = ("dev", "held_out_1", "held_out_2")


def load_messages(path: Path = LABELLED) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def configured_phrases() -> dict[str, list[str]]:
    config = yaml.safe_load((HERE / "config.yml").read_text()) or {}
    merged: dict[str, list[str]] = {}
    for rules in (config.get("classifier", {}).get("phrases") or {}).values():
        for rule, phrases in rules.items():
            merged.setdefault(rule, []).extend(phrases)
    return merged


@dataclass(frozen=True)
class Scores:
    messages: int
    sensitive: int
    recall: float
    precision: float
    category_accuracy: float
    missed: tuple[int, ...]        # sensitive messages not flagged
    over_flagged: tuple[int, ...]  # ordinary messages flagged
    wrong_category: tuple[int, ...]


def score(messages: list[dict], phrases: dict[str, list[str]] | None = None) -> Scores:
    phrases = configured_phrases() if phrases is None else phrases
    results = [(message, suggest(message["text"], phrases)) for message in messages]
    flagged = [message for message, suggestion in results if suggestion.sensitive]
    true_positives = [message for message in flagged if message["sensitive"]]
    sensitive = [message for message in messages if message["sensitive"]]
    return Scores(
        messages=len(messages), sensitive=len(sensitive),
        recall=len(true_positives) / len(sensitive) if sensitive else 1.0,
        precision=len(true_positives) / len(flagged) if flagged else 1.0,
        category_accuracy=sum(s.category_code == m["category"] for m, s in results) / len(messages),
        missed=tuple(m["id"] for m, s in results if m["sensitive"] and not s.sensitive),
        over_flagged=tuple(m["id"] for m, s in results if s.sensitive and not m["sensitive"]),
        wrong_category=tuple(m["id"] for m, s in results if s.category_code != m["category"]),
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true", help="list the messages the rules get wrong")
    args = parser.parse_args(argv)
    messages = load_messages()
    by_id = {message["id"]: message for message in messages}
    print(f"{'part':<11} {'messages':>8} {'sensitive':>9} {'recall':>7} {'precision':>9} {'category':>9}")
    parts = [(split, [m for m in messages if m["split"] == split]) for split in SPLITS]
    for part, subset in parts + [("all", messages)]:
        scores = score(subset)
        print(f"{part:<11} {scores.messages:>8} {scores.sensitive:>9} {scores.recall:>7.3f} "
              f"{scores.precision:>9.3f} {scores.category_accuracy:>9.3f}")
        if args.errors and part != "all":
            for label, ids in (("missed", scores.missed), ("over-flagged", scores.over_flagged),
                               ("wrong category", scores.wrong_category)):
                for message_id in ids:
                    message = by_id[message_id]
                    got = suggest(message["text"], configured_phrases())
                    print(f"  {label}: #{message_id} [{message['category']} -> {got.category_code}] "
                          f"{message['text']}  {list(got.reasons)[:3]}")
    print_model_figures()
    return 0


def print_model_figures() -> None:
    """The statistical classifier (rules as its floor) on every held-out message, as its card says."""
    from services.cases import model, train  # scikit-learn is only needed here, not to classify

    path = model.model_path(None)
    examples = [e for e in train.load_labelled() + train.load_corpus() if e.part == "held_out"]
    figures = train.measure(json.loads(path.read_text()), examples, configured_phrases())
    print(f"\nstatistical model {model.load(path).version}, held-out messages only")
    print(f"{'part':<31} {'messages':>8} {'recall':>7} {'precision':>9} {'emergency':>9} {'category':>9}")
    for part, f in [("all held-out", figures["all"]), *figures["part"].items()]:
        print(f"{part:<31} {f['messages']:>8} {f['sensitive_recall']:>7.3f} {f['sensitive_precision']:>9.3f} "
              f"{f['emergency_recall'] or 0:>9.3f} {f['category_accuracy']:>9.3f}")


if __name__ == "__main__":
    sys.exit(main())

"""JSON Schema snapshots of every contract, checked into contracts/schemas/.

`python -m contracts.snapshots --write` (make contracts) rewrites them after
an intended change; the contract tests fail when a model and its snapshot
drift apart, so a change to a contract is always a visible diff.
"""
import argparse
import json
import sys
from pathlib import Path

from pydantic import BaseModel

from contracts import http, identity, rpc
from contracts.envelope import Envelope, event_types

SCHEMA_DIR = Path(__file__).parent / "schemas"
EXAMPLE_DIR = Path(__file__).parent / "examples"


def contract_models() -> dict[str, type[BaseModel]]:
    """Every contract by its snapshot name."""
    models: dict[str, type[BaseModel]] = {"envelope": Envelope}
    for event in event_types():
        models[f"event.{event.event_type}.v{event.event_version}"] = event
    for module, prefix in ((http, "http"), (identity, "http"), (rpc, "rpc")):
        for name in module.__all_contracts__:
            models[f"{prefix}.{name}"] = getattr(module, name)
    return models


def render(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def drifted() -> list[str]:
    """Names whose committed snapshot differs from the model (or is missing or orphaned)."""
    models = contract_models()
    names = [name for name, model in models.items()
             if not (SCHEMA_DIR / f"{name}.json").exists()
             or (SCHEMA_DIR / f"{name}.json").read_text() != render(model)]
    orphans = [path.stem for path in SCHEMA_DIR.glob("*.json") if path.stem not in models]
    return names + orphans


def write() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    models = contract_models()
    for path in SCHEMA_DIR.glob("*.json"):
        if path.stem not in models:
            path.unlink()
    for name, model in models.items():
        (SCHEMA_DIR / f"{name}.json").write_text(render(model))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the snapshots")
    args = parser.parse_args()
    if args.write:
        write()
        return 0
    stale = drifted()
    for name in stale:
        print(f"snapshot out of date: {name}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

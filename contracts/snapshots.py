"""JSON Schema snapshots of every contract, checked into contracts/schemas/.

`python -m contracts.snapshots --write` (make contracts) rewrites them after
an intended change; the contract tests fail when a model and its snapshot
drift apart, so a change to a contract is always a visible diff.

The snapshot of an event version is also what consumers still on that
version read. `breaking_changes` compares it with the model: a field removed
or renamed, retyped, given other constraints or allowed values, made
required or no longer required breaks such a consumer, so the contract test
fails and `--write` refuses to record it. A breaking change is a new version
(VERSIONING.md); adding an optional field is not one.
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


# Keywords that document a schema without changing what it accepts.
DOCUMENTATION = {"description", "title", "examples"}
# Keywords compared structurally below; `additionalProperties: false` only binds writers.
STRUCTURE = {"properties", "required", "items", "prefixItems", "anyOf", "oneOf", "allOf", "$defs", "$ref",
             "additionalProperties"}


def _resolve(schema: dict, root: dict) -> dict:
    for _ in range(20):  # contracts are not recursive; the bound only guards against a mistake
        if "$ref" not in schema:
            return schema
        target = root.get("$defs", {})[schema["$ref"].rsplit("/", 1)[-1]]
        schema = {**target, **{key: value for key, value in schema.items() if key != "$ref"}}
    raise ValueError("schema references nest too deep")


def _compare(old: dict, old_root: dict, new: dict, new_root: dict, path: str, problems: list[str]) -> None:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    where = path or "(the whole payload)"
    if "properties" in old or "properties" in new:
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name, schema in old_fields.items():
            field = f"{path}.{name}" if path else name
            if name not in new_fields:
                problems.append(f"{field}: removed or renamed")
                continue
            if name in new_required and name not in old_required:
                problems.append(f"{field}: made required (producers on the old version leave it out)")
            if name in old_required and name not in new_required:
                problems.append(f"{field}: no longer required (consumers on the old version need it)")
            _compare(schema, old_root, new_fields[name], new_root, field, problems)
        for name in sorted(new_fields.keys() - old_fields.keys()):
            if name in new_required:
                problems.append(f"{path + '.' if path else ''}{name}: a new field that is required")
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        old_options, new_options = old.get(key), new.get(key)
        if old_options is None and new_options is None:
            continue
        if old_options is None or new_options is None or len(old_options) != len(new_options):
            problems.append(f"{where}: type changed")
            return
        for old_option, new_option in zip(old_options, new_options):
            _compare(old_option, old_root, new_option, new_root, path, problems)
    if "items" in old or "items" in new:
        if "items" not in old or "items" not in new:
            problems.append(f"{where}: type changed")
        else:
            _compare(old["items"], old_root, new["items"], new_root, f"{path}[]", problems)
    old_values, new_values = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(old_values, dict) and isinstance(new_values, dict):
        _compare(old_values, old_root, new_values, new_root, f"{path}{{}}", problems)
    elif isinstance(old_values, dict) != isinstance(new_values, dict):
        problems.append(f"{where}: type changed")
    rest = [key for key in sorted((old.keys() | new.keys()) - DOCUMENTATION - STRUCTURE)
            if old.get(key) != new.get(key)]
    if rest:
        problems.append(f"{where}: type, constraints or allowed values changed ({', '.join(rest)})")


def breaking_changes(old_schema: dict, new_schema: dict) -> list[str]:
    """What in `new_schema` would break a reader or writer still on `old_schema` (same version)."""
    problems: list[str] = []
    _compare(old_schema, old_schema, new_schema, new_schema, "", problems)
    return problems


def incompatible() -> dict[str, list[str]]:
    """Event contracts (and the envelope) whose model breaks the snapshot of its own version."""
    found = {}
    for name, model in contract_models().items():
        path = SCHEMA_DIR / f"{name}.json"
        if (name == "envelope" or name.startswith("event.")) and path.exists():
            problems = breaking_changes(json.loads(path.read_text()), model.model_json_schema())
            if problems:
                found[name] = problems
    return found


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
        refused = incompatible()
        for name, problems in refused.items():
            print(f"{name}: a breaking change; publish it as a new version (contracts/VERSIONING.md): "
                  + "; ".join(problems), file=sys.stderr)
        if refused:
            return 1
        write()
        return 0
    stale = drifted()
    for name in stale:
        print(f"snapshot out of date: {name}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

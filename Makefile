# The commands a newcomer needs; see README.md.
VENV   := .venv
PY     := $(VENV)/bin/python
ROLE    ?= agent
COUNTRY ?= GN

.PHONY: retention-preview rewrap-keys seal-clear-texts chromium security-check audit-verify identity-rotate-key run demo test infra migrate token contracts bench bench-search reindex vault-rotate evaluate-classifier train-classifier bench-classifier constraints clean

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

infra: $(VENV)/.installed
	bash scripts/ensure-infra.sh

migrate: infra
	$(PY) -m chassis.migrate

## Start the whole platform in the foreground (Ctrl-C stops it).
run: migrate
	$(PY) -m tools.platform

## Send a realistic batch of messages to a running platform and show what happened.
demo: $(VENV)/.installed
	$(PY) -m tools.demo

## Run the whole test suite, then the console's browser tests in a process of their own (no eventlet there).
test: infra chromium
	$(PY) -m pytest
	$(PY) -m pytest --confcutdir=tests/browser tests/browser

## The console's browser tests drive Debian's chromium; a fresh machine (CI) installs it here.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

## Run the attacks of the security tests (tests marked `security`) against real services.
security-check: infra chromium
	$(PY) -m pytest -m security
	$(PY) -m pytest --confcutdir=tests/browser -m security tests/browser

## Check the hash chains of the audit tables (cases.audit_log, intake.contact_reveals and contact_lookups, identity.account_events); names the first broken row.
audit-verify: $(VENV)/.installed
	$(PY) -m tools.audit_verify

## Mint a development token, signed by identity's key: make token ROLE=manager COUNTRY=GN,ML
token: $(VENV)/.installed
	@$(PY) -m services.identity.commands token --role $(ROLE) --country $(COUNTRY)

## A new signing key for identity; the old ones stay published until their tokens expire.
identity-rotate-key: migrate
	$(PY) -m services.identity.commands rotate-key

## Rewrite the JSON Schema snapshots after an intended contract change.
contracts: $(VENV)/.installed
	$(PY) -m contracts.snapshots --write

## Measure intake-to-search throughput on this machine.
bench: migrate
	$(PY) -m tools.bench

## Time hotline and SMS messages while 200 slow clients hold connections to intake (goal: each within 1 s).
.PHONY: bench-slow-clients
bench-slow-clients: migrate
	$(PY) -m tools.bench_slow_clients

## Measure reporting's indexing throughput and search and report latency on this machine.
bench-search: migrate
	$(PY) -m tools.bench_search

## Rebuild the search indices from reporting's journal, with no downtime.
reindex: migrate
	$(PY) -m services.reporting.rebuild

## What the retention job would delete or anonymise now, per service and kind, changing nothing: make retention-preview COUNTRY=GN
retention-preview: migrate
	@$(PY) -m tools.retention_preview --country $(COUNTRY)

## Re-encrypt every contact under the vault's active key (resumable; runs beside the platform), so old keys can go.
vault-rotate: $(VENV)/.installed
	$(PY) -m services.intake.vault_rotation

## Re-wrap every case's data key under the active master key of each service (resumable), so old master keys can go.
rewrap-keys: $(VENV)/.installed
	$(PY) -m chassis.envelope

## Seal the texts older versions stored in clear under their case's data key (resumable, idempotent; prints counts, never texts).
seal-clear-texts: $(VENV)/.installed
	$(PY) -m chassis.clear_texts

## Recall and precision of the sensitive flag on the labelled messages (add ARGS=--errors to list misses).
evaluate-classifier: $(VENV)/.installed
	$(PY) -m services.cases.evaluate $(ARGS)

## Train the classifier and promote it if its held-out recall is not lower (COUNTRY=GN: with that
## country's confirmed cases, read from cases' database, into its own model).
train-classifier: $(VENV)/.installed
	$(PY) -m services.cases.train $(if $(filter command line environment,$(origin COUNTRY)),--country $(COUNTRY))

## Time one classification (model, rules floor, explanation) per message on one core.
bench-classifier: $(VENV)/.installed
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m tools.bench_classifier

constraints: $(VENV)/.installed
	$(PY) -m pip freeze --exclude-editable | grep -v '^cfm-platform' > constraints.txt

clean:
	rm -rf $(VENV) var

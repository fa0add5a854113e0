# The commands a newcomer needs; see README.md.
VENV   := .venv
PY     := $(VENV)/bin/python
ROLE    ?= agent
COUNTRY ?= GN

.PHONY: security-check run demo test infra migrate token contracts bench bench-search reindex evaluate-classifier train-classifier bench-classifier constraints clean

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

## Run the whole test suite.
test: infra
	$(PY) -m pytest

## Run the attacks of the security tests (tests marked `security`) against real services.
security-check: infra
	$(PY) -m pytest -m security

## Mint a development token: make token ROLE=manager COUNTRY=GN,ML
token: $(VENV)/.installed
	@$(PY) -m chassis.auth --role $(ROLE) --country $(COUNTRY)

## Rewrite the JSON Schema snapshots after an intended contract change.
contracts: $(VENV)/.installed
	$(PY) -m contracts.snapshots --write

## Measure intake-to-search throughput on this machine.
bench: migrate
	$(PY) -m tools.bench

## Measure reporting's indexing throughput and search and report latency on this machine.
bench-search: migrate
	$(PY) -m tools.bench_search

## Rebuild the search indices from reporting's journal, with no downtime.
reindex: migrate
	$(PY) -m services.reporting.rebuild

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

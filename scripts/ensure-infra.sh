#!/usr/bin/env bash
# Makes sure PostgreSQL, RabbitMQ (with its management API, used by the tests
# to create throw-away vhosts) and the Elasticsearch dev server are running on
# this machine. Safe to run again: it starts only what is down.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV_BIN=${VENV_BIN:-.venv/bin}

wait_for() {  # wait_for <what> <seconds> <command...>
  local what=$1 seconds=$2; shift 2
  for _ in $(seq 1 "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "ensure-infra: $what did not come up within ${seconds}s" >&2
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "ensure-infra: starting PostgreSQL"
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "ensure-infra: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_for PostgreSQL 60 pg_isready -q -h 127.0.0.1 -p 5432
fi

if ! port_open 5672; then
  echo "ensure-infra: starting RabbitMQ"
  if ! command -v rabbitmq-server >/dev/null; then
    echo "ensure-infra: RabbitMQ is not installed (apt-get install rabbitmq-server)" >&2; exit 1
  fi
  rabbitmq-server -detached
  wait_for RabbitMQ 90 port_open 5672
fi
if ! port_open 15672; then
  echo "ensure-infra: enabling the RabbitMQ management API"
  rabbitmq-plugins enable rabbitmq_management >/dev/null
  wait_for "RabbitMQ management API" 60 port_open 15672
fi

if ! curl -sf http://127.0.0.1:9200 >/dev/null 2>&1; then
  echo "ensure-infra: starting the Elasticsearch dev server (noida-db)"
  mkdir -p var
  # noida-db prints a harmless glibc warning on this machine kind; keep it out of the way.
  "$VENV_BIN/noida-db" up --only elasticsearch --data-dir var/noida-db >var/noida-db.out 2>&1
  wait_for "Elasticsearch dev server" 60 curl -sf http://127.0.0.1:9200
fi
echo "ensure-infra: PostgreSQL, RabbitMQ and Elasticsearch are up"

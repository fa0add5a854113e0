"""The shared runtime every service stands on: settings, PostgreSQL with a
unit of work and transactional outbox, idempotent event consumers that retry
and park, HTTP error mapping and authentication, metrics, tracing and logs."""

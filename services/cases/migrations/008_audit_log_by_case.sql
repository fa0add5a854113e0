-- A focal point reads one case's access log (GET /v1/cases/{reference}/access-log): its audit rows in order.
CREATE INDEX audit_log_by_case ON audit_log (case_id, id);

-- A case confirmed as an emergency alerts supervisors only if no event about it did already.
CREATE INDEX staff_alerts_by_case ON staff_alerts (case_id, reason);

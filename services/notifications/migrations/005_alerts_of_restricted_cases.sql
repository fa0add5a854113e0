-- An alert about a restricted case names no deadline to those who may not open the case.
ALTER TABLE staff_alerts ADD COLUMN restricted boolean NOT NULL DEFAULT false;
-- Only sensitive (restricted) cases had a referral deadline before this column.
UPDATE staff_alerts SET restricted = true WHERE deadline_kind = 'refer';

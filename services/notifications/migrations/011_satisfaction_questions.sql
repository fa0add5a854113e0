-- The satisfaction question after closure (SatisfactionQuestionDue): sent once per survey. Its row is written
-- before the SMS goes out, in the same transaction: a second delivery waits on the unique key, then finds it
-- taken and sends nothing.
ALTER TABLE notifications ADD COLUMN survey_id uuid UNIQUE;

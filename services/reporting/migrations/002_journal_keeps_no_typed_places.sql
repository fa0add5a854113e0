-- Before intake matched places to the country's gazetteer, messages carried places as typed, and
-- people type names and phone numbers as a village. Those cannot be told from real places here, so
-- every typed location kept in the journal is dropped; events journalled from now on carry
-- gazetteer names or `other` only. Run `make reindex` afterwards to drop them from the index too.
UPDATE journal
   SET envelope = jsonb_set(envelope, '{payload,location}', 'null'::jsonb)
 WHERE event_type = 'feedback_received'
   AND jsonb_typeof(envelope->'payload'->'location') = 'object';

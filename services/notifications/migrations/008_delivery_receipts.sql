-- Delivery receipts (services/notifications/receipts.py): the provider's last word on each message sent to
-- a complainant. States only move forward (queued, sent, delivered/failed, read); a redelivered or late
-- receipt changes nothing. NULL: no receipt yet.
ALTER TABLE notifications
    ADD COLUMN delivery_state      text CHECK (delivery_state IN ('queued', 'sent', 'delivered', 'failed', 'read')),
    ADD COLUMN delivery_error      text,
    ADD COLUMN delivery_updated_at timestamptz;
CREATE INDEX notifications_by_provider_message ON notifications (provider_message_id)
    WHERE provider_message_id IS NOT NULL;

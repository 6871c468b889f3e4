-- The sender's claim walks each webhook's pending deliveries in seq order and stops once it has what
-- it may take (WebhookStore.CLAIM): this index is that walk. Before it, every claim read every
-- pending row of every webhook.
create index webhook_delivery_next on webhook_delivery (webhook_id, seq) where status = 'pending';

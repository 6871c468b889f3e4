-- A webhook delivery row now lives only while its event is still to be sent: a delivered or failed
-- one is deleted by the outcome write (each try stays in webhook_attempt, and a replay works from
-- the event table). The rows left from before go now. Nothing reads webhook_delivery_due since the
-- claim walks webhook_delivery_next (V17): every insert and update paid for it.
delete from webhook_delivery where status <> 'pending';
drop index webhook_delivery_due;

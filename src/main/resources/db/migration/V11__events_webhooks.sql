-- Events and webhooks (API.md, "Events and webhooks").

-- The public position of an event. Events are inserted with seq null, in the transaction of the
-- state change they report (the outbox); the sequencer (event/EventSequencer) gives committed
-- events their seq, one transaction at a time. Only events with a seq are read by the API and by
-- the webhook sender.
create sequence event_seq;
alter table event add column seq bigint;
alter table event add column uid uuid not null default gen_random_uuid();
create unique index event_seq_unique on event (seq);
create index event_unsequenced on event (id) where seq is null;

-- Existing events are already committed: they take their seq in id order now.
update event set seq = s.n from (select id, nextval('event_seq') as n from
  (select id from event order by id) o) s where event.id = s.id;

create table webhook (
    id                 uuid primary key,
    api_key_id         uuid,
    url                text not null,
    events             text[] not null,
    domains            text[] not null,
    secret             bytea not null,
    previous_secret    bytea,
    previous_until     timestamptz,
    status             text not null default 'active' check (status in ('active', 'disabled')),
    created_at         timestamptz not null default now()
);

-- One row per (webhook, event) to send: written by the sequencer in the transaction that gives
-- the event its seq, so a subscription never misses a sequenced event.
create table webhook_delivery (
    id                 bigserial primary key,
    webhook_id         uuid not null references webhook (id) on delete cascade,
    event_id           bigint not null references event (id) on delete cascade,
    seq                bigint not null,
    recipient          text not null,
    status             text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts           integer not null default 0,
    next_attempt_at    timestamptz not null default now(),
    lease_owner        text,
    lease_until        timestamptz,
    unique (webhook_id, event_id)
);
create index webhook_delivery_due on webhook_delivery (next_attempt_at) where status = 'pending';
create index webhook_delivery_order on webhook_delivery (webhook_id, recipient, seq)
  where status = 'pending';

-- Every attempt, for GET /v1/webhooks/{id}/deliveries.
create table webhook_attempt (
    id                 bigserial primary key,
    webhook_id         uuid not null references webhook (id) on delete cascade,
    event_uid          uuid not null,
    status             text not null,
    http_status        integer,
    at                 timestamptz not null default now(),
    duration_ms        integer not null
);
create index webhook_attempt_list on webhook_attempt (webhook_id, id desc);

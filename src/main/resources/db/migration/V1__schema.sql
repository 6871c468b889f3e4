-- Postwire schema. PostgreSQL is the queue: one delivery row per recipient, claimed with
-- SELECT ... FOR UPDATE SKIP LOCKED; while leased, next_attempt_at holds the lease expiry, so
-- one partial index serves both "due" and "lease expired".

create table domain (
    name        text primary key,
    created_at  timestamptz not null default now()
);

create table dkim_key (
    id                  uuid primary key,
    domain              text not null references domain (name) on delete cascade,
    selector            text not null,
    algorithm           text not null check (algorithm in ('rsa-sha256', 'ed25519-sha256')),
    status              text not null check (status in ('active', 'pending', 'retired')),
    public_key          text not null,
    private_key_sealed  bytea not null,
    created_at          timestamptz not null default now(),
    activated_at        timestamptz,
    retired_at          timestamptz,
    unique (domain, selector)
);

create table api_key (
    id          uuid primary key,
    name        text not null,
    key_hash    bytea not null unique,
    admin       boolean not null default false,
    domains     text[] not null default '{}',
    created_at  timestamptz not null default now()
);

create table message (
    id              uuid primary key,
    api_key_id      uuid,
    domain          text not null,
    mail_from       text not null,
    from_header     text not null,
    subject         text,
    message_id      text not null,
    content         bytea not null,
    signature       text,
    tags            text[] not null default '{}',
    metadata        jsonb,
    size_bytes      integer not null,
    send_at         timestamptz,
    expires_at      timestamptz not null,
    created_at      timestamptz not null default now()
);
create index message_created on message (created_at desc, id desc);
create index message_domain_created on message (domain, created_at desc, id desc);

create table delivery (
    id                  bigserial primary key,
    message_id          uuid not null references message (id) on delete cascade,
    recipient           text not null,
    recipient_domain    text not null,
    status              text not null check (status in
                          ('queued', 'deferred', 'delivered', 'bounced', 'suppressed', 'expired', 'failed')),
    attempts            integer not null default 0,
    next_attempt_at     timestamptz,
    lease_owner         text,
    last_attempt_at     timestamptz,
    last_code           integer,
    last_enhanced_code  text,
    last_text           text,
    last_host           text,
    bounce_category     text,
    updated_at          timestamptz not null default now()
);
create index delivery_due on delivery (next_attempt_at) where status in ('queued', 'deferred');
create index delivery_message on delivery (message_id);
create index delivery_recipient on delivery (recipient);

create table event (
    id          bigserial primary key,
    message_id  uuid not null references message (id) on delete cascade,
    recipient   text,
    type        text not null,
    at          timestamptz not null default now(),
    detail      jsonb
);
create index event_message on event (message_id, id);

create table idempotency_key (
    api_key_id     uuid not null,
    key            text not null,
    request_hash   bytea not null,
    response_code  integer,
    response_body  text,
    created_at     timestamptz not null default now(),
    primary key (api_key_id, key)
);
create index idempotency_key_created on idempotency_key (created_at);

create table suppression (
    address     text primary key,
    reason      text not null check (reason in ('manual', 'hard_bounce', 'complaint', 'unsubscribe')),
    detail      text,
    created_at  timestamptz not null default now()
);

-- A message's status, derived from its recipients (API.md): suppressed recipients are ignored.
create view message_status as
select m.id as message_id,
       case
           when a.leased > 0 then 'delivering'
           when a.pending > 0 and a.attempted_pending = 0 and a.finished = 0 then 'queued'
           when a.deferred > 0 then 'deferred'
           when a.pending > 0 then 'delivering'
           when a.total = 0 then 'failed'
           when a.delivered = a.total then 'delivered'
           when a.delivered > 0 then 'partially_delivered'
           when a.bounced = a.total then 'bounced'
           else 'failed'
       end as status
from message m
cross join lateral (
    select count(*) filter (where d.status <> 'suppressed') as total,
           count(*) filter (where d.lease_owner is not null and d.next_attempt_at > now()) as leased,
           count(*) filter (where d.status in ('queued', 'deferred')) as pending,
           count(*) filter (where d.status in ('queued', 'deferred') and d.attempts > 0) as attempted_pending,
           count(*) filter (where d.status = 'deferred') as deferred,
           count(*) filter (where d.status in ('delivered', 'bounced', 'failed', 'expired')) as finished,
           count(*) filter (where d.status = 'delivered') as delivered,
           count(*) filter (where d.status = 'bounced') as bounced
    from delivery d
    where d.message_id = m.id
) a;

-- Analytics and the reputation guard (API.md, "Analytics, reputation guard, tracking").

-- Domain events (domain.paused, domain.audit_changed) belong to a sending domain, not to a message:
-- message_id is null for them and domain names the domain. Every other event keeps its message.
alter table event alter column message_id drop not null;
alter table event add column domain text;
alter table event add constraint event_subject
  check (message_id is not null or (type like 'domain.%' and domain is not null));
create index event_domain_only on event (at) where message_id is null;

-- The pause (sending_paused_*) and where the guard counts from after a resume: the hour of the
-- resume (reputation_hour) with that hour's counts at the moment of the resume, subtracted while
-- that hour is in the window, so the data that caused the pause never pauses the domain again.
alter table domain add column sending_paused_reason text;
alter table domain add column sending_paused_since timestamptz;
alter table domain add column reputation_hour timestamptz;
alter table domain add column reputation_base_sent bigint not null default 0;
alter table domain add column reputation_base_bounced bigint not null default 0;
alter table domain add column reputation_base_complained bigint not null default 0;

-- Rollups: one row per hour x sending domain x provider x recipient domain x tag. tag '' is the
-- row of every message whatever its tags (the groupings by provider and recipient domain read it);
-- a message with tags also counts once in each tag's row (the grouping by tag reads those).
create table stats_hour (
    domain            text not null,
    tag               text not null,
    hour              timestamptz not null,
    provider          text not null,
    recipient_domain  text not null,
    sent              bigint not null default 0,
    delivered         bigint not null default 0,
    deferred          bigint not null default 0,
    bounced           bigint not null default 0,
    hard_bounced      bigint not null default 0,
    complained        bigint not null default 0,
    unsubscribed      bigint not null default 0,
    opened            bigint not null default 0,
    unique_opened     bigint not null default 0,
    clicked           bigint not null default 0,
    unique_clicked    bigint not null default 0,
    primary key (domain, tag, hour, provider, recipient_domain)
) with (fillfactor = 70);
-- Every fold updates the current hour's rows again; room on each page lets those updates stay on
-- the page (HOT, no index entry), so dead versions are pruned as pages are read, between vacuums.
create index stats_hour_all on stats_hour (tag, hour);

-- The seq up to which events are folded into stats_hour, written in the fold's transaction.
create table stats_cursor (
    id   integer primary key check (id = 1),
    seq  bigint not null
);
insert into stats_cursor (id, seq) values (1, 0);

-- Recipients already counted as a unique open or click of a message.
create table stats_seen (
    message_id  uuid not null references message (id) on delete cascade,
    recipient   text not null,
    kind        text not null check (kind in ('opened', 'clicked')),
    primary key (message_id, recipient, kind)
);

-- The mailbox provider of a recipient domain, from its MX.
create table recipient_provider (
    domain       text primary key,
    provider     text not null,
    resolved_at  timestamptz not null default now()
);

-- Tenant boundaries.

-- Each registration of a domain name is a generation with its own id. A message belongs to the
-- registration it was sent under, so a name registered again after a removal gives no scoped key
-- the old registration's mail (admin keys still read it).
alter table domain add column id bigint generated always as identity;
alter table domain add constraint domain_id_unique unique (id);
alter table message add column domain_id bigint;
update message m set domain_id = d.id from domain d where d.name = m.domain;
create index message_domain_id_created on message (domain_id, created_at desc, id desc);

-- Suppressions per sending domain (API.md, "Suppressions"): domain null means every domain. The
-- entries kept so far were made for every domain, so they stay global.
alter table suppression drop constraint suppression_pkey;
alter table suppression add column domain text;
create unique index suppression_entry on suppression (address, coalesce(domain, ''));
create index suppression_domain on suppression (domain, address);

-- Retention (API.md, "Retention"): a message's rendered content is dropped once every recipient is
-- final and postwire.retention.content has passed; the message stays, with its status and events.
alter table message alter column content drop not null;
create index message_content_kept on message (created_at) where content is not null;

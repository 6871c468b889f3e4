-- Tenant boundaries.

-- Each registration of a domain name is a generation with its own id. A message belongs to the
-- registration it was sent under, so a name registered again after a removal gives no scoped key
-- the old registration's mail (admin keys still read it).
alter table domain add column id bigint generated always as identity;
alter table domain add constraint domain_id_unique unique (id);
alter table message add column domain_id bigint;
update message m set domain_id = d.id from domain d where d.name = m.domain;
create index message_domain_id_created on message (domain_id, created_at desc, id desc);

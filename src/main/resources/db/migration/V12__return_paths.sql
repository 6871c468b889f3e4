-- Inbound mail (API.md "Inbound mail"): a domain's own return-path domain, the envelope sender
-- domain of its mail (VERP). Null: postwire.inbound.domain. The inbound listener looks domains up by
-- it at every RCPT.
alter table domain add column return_path text;
create index domain_return_path on domain (return_path) where return_path is not null;

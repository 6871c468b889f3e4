-- DNS audits of the sending domains, with history (the last postwire.audit.history per domain).
create table domain_audit (
    id          bigserial primary key,
    domain      text not null references domain (name) on delete cascade,
    checked_at  timestamptz not null,
    status      text not null check (status in ('pass', 'warn', 'fail')),
    result      jsonb not null
);
create index domain_audit_latest on domain_audit (domain, checked_at desc);

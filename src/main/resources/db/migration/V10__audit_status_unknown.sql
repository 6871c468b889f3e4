-- An audit whose every check met a temporary DNS failure says nothing definite: 'unknown'.
alter table domain_audit drop constraint domain_audit_status_check;
alter table domain_audit
    add constraint domain_audit_status_check check (status in ('pass', 'warn', 'fail', 'unknown'));

-- Inbox tests (API.md, "Pre-send check and inbox test"): a one-time address on the inbound
-- listener and the report on the first message that arrives there. Rows go once expired
-- (inboxtest/InboxTestPurge); the key that created a test sees it, an admin key sees all. No
-- foreign key to api_key: the bootstrap key has no row.
create table inbox_test (
    id           uuid primary key,
    api_key_id   uuid not null,
    token        text not null unique,
    address      text not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    received_at  timestamptz,
    report       jsonb
);

create index inbox_test_expires on inbox_test (expires_at);

-- MTA-STS policies of recipient domains (RFC 8461 §5), kept until their max_age runs out, so that
-- neither a restart nor another replica loses the downgrade protection a fetched policy gives.
create table mta_sts_policy (
    domain      text primary key,
    policy_id   text not null,
    policy      text not null,
    fetched_at  timestamptz not null,
    expires_at  timestamptz not null
);
create index mta_sts_policy_expires on mta_sts_policy (expires_at);

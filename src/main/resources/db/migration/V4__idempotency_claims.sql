-- An unanswered Idempotency-Key claim belongs to a request still running while its replica keeps
-- claimed_at fresh (every few seconds); only a claim left stale by a crashed replica may be taken
-- over, however long a live request takes.
alter table idempotency_key add column claimed_at timestamptz not null default now();

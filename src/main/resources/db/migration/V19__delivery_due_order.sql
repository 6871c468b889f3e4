-- A claim takes the due rows in (next_attempt_at, id) order under a limit. An index in exactly that
-- order lets its scan stop after the rows it locks; with the index on next_attempt_at alone every
-- claim read every due row (the whole backlog), checked each one's domain, and sorted them all
-- before taking the first few: with a backlog of 1,000 rows, 4-9 ms per claim.
create index delivery_due_order on delivery (next_attempt_at, id)
    where status in ('queued', 'deferred');
drop index delivery_due;

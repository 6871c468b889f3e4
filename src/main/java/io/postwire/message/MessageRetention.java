package io.postwire.message;

import io.postwire.platform.DeliveryStatus;
import io.postwire.platform.Purge;
import io.postwire.platform.RetentionConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The message side of housekeeping: idempotency answers past their retention, then messages past
 * {@code postwire.retention.messages} and the content of messages past {@code
 * postwire.retention.content} (API.md, "Retention"). Rows go in bounded batches, so no run holds
 * long locks on the queue.
 */
@ApplicationScoped
public class MessageRetention implements Purge {

  /** Rows changed per statement. */
  static final int BATCH = 1000;

  // A message is finished when none of its recipients is still queued or deferred; one that is not
  // keeps its content and rows whatever its age.
  private static final String FINISHED =
      """
      and not exists (select 1 from delivery d where d.message_id = m.id
      and d.status in %s)"""
          .formatted(DeliveryStatus.PENDING_SQL);

  private static final String PURGE_MESSAGES =
      """
      delete from message where id in (select m.id from message m
      where m.created_at < now() - $1::bigint * interval '1 second'
      %s
      limit $2)"""
          .formatted(FINISHED);

  private static final String PURGE_CONTENT =
      """
      update message set content = null where id in (select m.id from message m
      where m.content is not null
      and m.created_at < now() - $1::bigint * interval '1 second'
      %s
      limit $2)"""
          .formatted(FINISHED);

  private final Pool pool;
  private final IdempotencyStore idempotency;
  private final RetentionConfig retention;

  public MessageRetention(Pool pool, IdempotencyStore idempotency, RetentionConfig retention) {
    this.pool = pool;
    this.idempotency = idempotency;
    this.retention = retention;
  }

  @Override
  public Uni<Map<String, Long>> purge() {
    Map<String, Long> removed = new LinkedHashMap<>();
    return idempotency
        .purge()
        .invoke(keys -> removed.put("idempotencyKeys", (long) keys))
        .chain(() -> inBatches(PURGE_MESSAGES, retention.messages(), 0))
        .invoke(messages -> removed.put("messages", messages))
        .chain(() -> inBatches(PURGE_CONTENT, retention.content(), 0))
        .invoke(contents -> removed.put("contents", contents))
        .map(contents -> removed);
  }

  /** Repeats a bounded statement until it touches fewer rows than a batch. */
  private Uni<Long> inBatches(String sql, Duration age, long done) {
    return pool.preparedQuery(sql)
        .execute(Tuple.of(age.toSeconds(), BATCH))
        .chain(
            rows -> {
              long total = done + rows.rowCount();
              return rows.rowCount() < BATCH
                  ? Uni.createFrom().item(total)
                  : inBatches(sql, age, total);
            });
  }
}

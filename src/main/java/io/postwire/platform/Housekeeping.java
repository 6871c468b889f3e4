package io.postwire.platform;

import io.postwire.message.IdempotencyStore;
import io.postwire.mtasts.MtaStsPolicyStore;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Periodic clean-up every {@code postwire.housekeeping.interval}: idempotency answers past their
 * retention, messages past {@code postwire.retention.*} (API.md, "Retention"), and (hourly) MTA-STS
 * policies past their max_age. Runs never overlap on a replica, and a PostgreSQL advisory lock,
 * held on one connection for the run, keeps other replicas out. Rows go in bounded batches, so no
 * run holds long locks on the queue.
 */
@ApplicationScoped
public class Housekeeping {

  private static final Logger LOG = Logger.getLogger(Housekeeping.class);

  /** The advisory lock key of the housekeeping run ("pwhouse" in ASCII). */
  static final long LOCK_KEY = 0x7077686f757365L;

  /** Rows changed per statement. */
  static final int BATCH = 1000;

  // A message is finished when none of its recipients is still queued or deferred; one that is not
  // keeps its content and rows whatever its age.
  private static final String FINISHED =
      " and not exists (select 1 from delivery d where d.message_id = m.id"
          + " and d.status in ('queued', 'deferred'))";

  private static final String PURGE_MESSAGES =
      "delete from message where id in (select m.id from message m"
          + " where m.created_at < now() - $1::bigint * interval '1 second'"
          + FINISHED
          + " limit $2)";

  private static final String PURGE_CONTENT =
      "update message set content = null where id in (select m.id from message m"
          + " where m.content is not null"
          + " and m.created_at < now() - $1::bigint * interval '1 second'"
          + FINISHED
          + " limit $2)";

  private final Pool pool;
  private final IdempotencyStore idempotency;
  private final RetentionConfig retention;
  private final MtaStsPolicyStore mtaSts;

  /** What one run removed. */
  public record Purged(int idempotencyKeys, long messages, long contents) {}

  public Housekeeping(
      Pool pool,
      IdempotencyStore idempotency,
      RetentionConfig retention,
      MtaStsPolicyStore mtaSts) {
    this.pool = pool;
    this.idempotency = idempotency;
    this.retention = retention;
    this.mtaSts = mtaSts;
  }

  @Scheduled(
      identity = "housekeeping",
      every = "${postwire.housekeeping.interval:1h}",
      delayed = "1m",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> scheduled() {
    return run()
        .invoke(
            purged -> {
              if (purged != null) {
                LOG.debugf("housekeeping: %s", purged);
              }
            })
        .replaceWithVoid();
  }

  /** One run; {@code null} when another replica holds the lock. */
  public Uni<Purged> run() {
    return AdvisoryLock.holding(pool, LOCK_KEY, this::purge)
        .invoke(
            purged -> {
              if (purged == null) {
                LOG.debug("another replica is housekeeping");
              }
            });
  }

  private Uni<Purged> purge() {
    return idempotency
        .purge()
        .chain(
            keys ->
                inBatches(PURGE_MESSAGES, retention.messages(), 0)
                    .chain(
                        messages ->
                            inBatches(PURGE_CONTENT, retention.content(), 0)
                                .map(contents -> new Purged(keys, messages, contents))));
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

  @Scheduled(every = "1h", delayed = "5m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> purgeExpiredMtaStsPolicies() {
    return mtaSts.purgeExpired().replaceWithVoid();
  }
}

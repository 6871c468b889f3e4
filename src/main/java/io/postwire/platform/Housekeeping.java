package io.postwire.platform;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Periodic clean-up every {@code postwire.housekeeping.interval}: runs each capability's {@link
 * Purge} (idempotency answers and messages past {@code postwire.retention.*}, MTA-STS policies past
 * their max_age, ...), one after the other. Runs never overlap on a replica, and a PostgreSQL
 * advisory lock, held on one connection for the run, keeps other replicas out.
 */
@ApplicationScoped
public class Housekeeping {

  private static final Logger LOG = Logger.getLogger(Housekeeping.class);

  /** The advisory lock key of the housekeeping run ("pwhouse" in ASCII). */
  static final long LOCK_KEY = 0x7077686f757365L;

  private final Pool pool;
  private final List<Purge> purges;

  /** What one run removed: rows by what they were, in the order removed. */
  public record Purged(Map<String, Long> removed) {

    /** Rows of one kind removed ({@code messages}, {@code contents}, ...); 0 if none. */
    public long count(String what) {
      return removed.getOrDefault(what, 0L);
    }
  }

  public Housekeeping(Pool pool, @Any Instance<Purge> purges) {
    this.pool = pool;
    // a fixed order, whatever order the container finds the beans in
    this.purges =
        purges.stream().sorted(Comparator.comparing(p -> p.getClass().getName())).toList();
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
    Map<String, Long> removed = new LinkedHashMap<>();
    Uni<Void> run = Uni.createFrom().voidItem();
    for (Purge p : purges) {
      run = run.chain(() -> p.purge().invoke(removed::putAll)).replaceWithVoid();
    }
    return run.map(v -> new Purged(removed));
  }
}

package io.postwire.webhook;

import io.postwire.platform.Purge;
import io.postwire.platform.RetentionConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/**
 * The webhook side of housekeeping: attempt log lines and finished deliveries older than {@code
 * postwire.retention.messages} (their events go with their messages at the same age).
 */
@ApplicationScoped
public class WebhookPurge implements Purge {

  private final Pool pool;
  private final RetentionConfig retention;

  public WebhookPurge(Pool pool, RetentionConfig retention) {
    this.pool = pool;
    this.retention = retention;
  }

  @Override
  public Uni<Map<String, Long>> purge() {
    double seconds = retention.messages().toSeconds();
    return pool.preparedQuery(
            "delete from webhook_attempt where at < now() - make_interval(secs => $1)")
        .execute(Tuple.of(seconds))
        .map(RowSet::rowCount)
        .map(n -> Map.of("webhookAttempts", (long) n));
  }
}

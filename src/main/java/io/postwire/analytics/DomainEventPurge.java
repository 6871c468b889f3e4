package io.postwire.analytics;

import io.postwire.platform.Purge;
import io.postwire.platform.RetentionConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/**
 * Deletes domain events ({@code domain.paused}; no message, so the message purge never reaches
 * them) older than {@code postwire.retention.messages}, like the events of messages.
 */
@ApplicationScoped
public class DomainEventPurge implements Purge {

  private final Pool pool;
  private final RetentionConfig retention;

  public DomainEventPurge(Pool pool, RetentionConfig retention) {
    this.pool = pool;
    this.retention = retention;
  }

  @Override
  public Uni<Map<String, Long>> purge() {
    return pool.preparedQuery(
            """
            delete from event where message_id is null
            and at < now() - $1::bigint * interval '1 second'""")
        .execute(Tuple.of(retention.messages().toSeconds()))
        .map(rows -> Map.of("domainEvents", (long) rows.rowCount()));
  }
}

package io.postwire.analytics;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.health.api.Wellness;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * {@code sending-paused}: DOWN while the reputation guard holds any domain, naming each with its
 * reason. A wellness check: readiness (and the API) is unaffected, the other domains still send.
 */
@Wellness
@ApplicationScoped
public class ReputationHealth implements AsyncHealthCheck {

  private final Pool pool;

  public ReputationHealth(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Uni<HealthCheckResponse> call() {
    return pool.query(
            "select name, sending_paused_reason from domain"
                + " where sending_paused_since is not null order by name limit 100")
        .execute()
        .map(
            rows -> {
              HealthCheckResponseBuilder b =
                  HealthCheckResponse.named("sending-paused").status(rows.size() == 0);
              for (Row r : rows) {
                b.withData(r.getString("name"), r.getString("sending_paused_reason"));
              }
              return b.build();
            });
  }
}

package io.postwire.platform;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * Liveness (the event loop answers) and readiness (the database answers). Each capability adds its
 * own checks beside these (the delivery pipeline's is {@code delivery.DeliveryHealth}).
 */
@ApplicationScoped
public class Health {

  private final Pool pool;

  public Health(Pool pool) {
    this.pool = pool;
  }

  /** Runs on the event loop: that it answers at all is the proof the loop is alive. */
  @Liveness
  @ApplicationScoped
  AsyncHealthCheck eventLoop() {
    return () -> Uni.createFrom().item(HealthCheckResponse.up("event-loop"));
  }

  @Readiness
  @ApplicationScoped
  AsyncHealthCheck database() {
    return () ->
        pool.query("select 1")
            .execute()
            .ifNoItem()
            .after(Duration.ofSeconds(2))
            .fail()
            .map(rows -> HealthCheckResponse.up("database"))
            .onFailure()
            .recoverWithItem(
                e ->
                    HealthCheckResponse.named("database")
                        .down()
                        .withData("error", String.valueOf(e.getMessage()))
                        .build());
  }
}

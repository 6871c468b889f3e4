package io.postwire.platform;

import io.postwire.delivery.DeliveryConfig;
import io.postwire.delivery.DeliveryPipeline;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** Liveness (the event loop answers) and readiness (database answers, pipeline running). */
@ApplicationScoped
public class Health {

  private final Pool pool;
  private final DeliveryPipeline pipeline;
  private final DeliveryConfig delivery;

  public Health(Pool pool, DeliveryPipeline pipeline, DeliveryConfig delivery) {
    this.pool = pool;
    this.pipeline = pipeline;
    this.delivery = delivery;
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

  /**
   * UP while the pipeline runs; a replica with {@code postwire.delivery.enabled=false} is UP too
   * (it serves the API) and says {@code "enabled":false}, so a dashboard does not take it for a
   * delivering one.
   */
  @Readiness
  @ApplicationScoped
  AsyncHealthCheck deliveryPipeline() {
    return () ->
        Uni.createFrom()
            .item(
                HealthCheckResponse.named("delivery-pipeline")
                    .status(!delivery.enabled() || pipeline.running())
                    .withData("enabled", delivery.enabled())
                    .withData("mode", delivery.mode().name().toLowerCase())
                    .withData("inFlight", pipeline.inFlight())
                    .build());
  }
}

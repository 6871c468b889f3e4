package io.postwire.delivery;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** The delivery pipeline's readiness check. */
@ApplicationScoped
public class DeliveryHealth {

  private final DeliveryPipeline pipeline;
  private final DeliveryConfig delivery;

  public DeliveryHealth(DeliveryPipeline pipeline, DeliveryConfig delivery) {
    this.pipeline = pipeline;
    this.delivery = delivery;
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

package io.postwire.egress;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.List;

/** Builds the one {@link EgressPolicy} at start-up, so a bad allow list stops the start. */
@ApplicationScoped
public class EgressProducer {

  @Produces
  @Singleton
  @Startup
  EgressPolicy egressPolicy(EgressConfig config) {
    return EgressPolicy.allowing(config.allow().orElse(List.of()));
  }
}

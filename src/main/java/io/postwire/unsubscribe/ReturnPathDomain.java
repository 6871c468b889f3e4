package io.postwire.unsubscribe;

import io.postwire.inbound.InboundConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.util.Optional;

/**
 * The domain of the unsubscribe mailto address: the default return-path domain ({@code
 * postwire.inbound.domain}), which the inbound listener takes mail for whatever the sending
 * domain's own return path is.
 */
@FunctionalInterface
public interface ReturnPathDomain {

  /**
   * The domain whose MX points at Postwire's inbound listener, e.g. {@code bounces.example.com}.
   */
  Optional<String> domain();

  /** The inbound listener's setting. */
  @ApplicationScoped
  class FromInbound {
    @Produces
    @ApplicationScoped
    ReturnPathDomain returnPathDomain(InboundConfig inbound) {
      return inbound::domain;
    }
  }
}

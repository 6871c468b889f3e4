package io.postwire.unsubscribe;

import java.util.Optional;

/**
 * The domain of the unsubscribe mailto address: the default return-path domain ({@code
 * postwire.inbound.domain}), which the inbound listener takes mail for whatever the sending
 * domain's own return path is. The inbound package provides it from its settings.
 */
@FunctionalInterface
public interface ReturnPathDomain {

  /**
   * The domain whose MX points at Postwire's inbound listener, e.g. {@code bounces.example.com}.
   */
  Optional<String> domain();
}

package io.postwire.unsubscribe;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * The default return-path domain ({@code postwire.inbound.domain}), the domain of the unsubscribe
 * mailto address. Only that one property is read here: the inbound listener's own settings live
 * with the listener.
 */
@ConfigMapping(prefix = "postwire.inbound")
public interface ReturnPathDomain {

  /**
   * The domain whose MX points at Postwire's inbound listener, e.g. {@code bounces.example.com}.
   */
  Optional<String> domain();
}

package io.postwire.inboxtest;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * The one inbound setting inbox tests need: {@code postwire.inbound.domain}, the domain whose MX
 * points at the inbound listener (API.md, "Inbound mail"). Its own small mapping so that inbox
 * tests do not depend on the listener's settings; where both exist, this one reads the same
 * property.
 */
@ConfigMapping(prefix = "postwire.inbound")
public interface InboundDomainSetting {

  /** The default return-path domain, also the domain of inbox-test addresses; unset: off. */
  Optional<String> domain();
}

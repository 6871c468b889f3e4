package io.postwire.egress;

import io.smallrye.config.ConfigMapping;
import java.util.List;
import java.util.Optional;

/** The egress policy's settings ({@code postwire.egress.*}). */
@ConfigMapping(prefix = "postwire.egress")
public interface EgressConfig {

  /**
   * CIDRs ({@code 10.1.0.0/16}, {@code fd00::/8}, a bare address for one host) that MX hosts,
   * MTA-STS policy hosts and webhook URLs may resolve to although they are loopback, private,
   * link-local or otherwise not public; empty = public addresses only.
   */
  Optional<List<String>> allow();
}

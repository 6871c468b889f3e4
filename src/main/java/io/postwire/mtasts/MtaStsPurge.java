package io.postwire.mtasts;

import io.postwire.platform.Purge;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/** The MTA-STS side of housekeeping: stored policies past their max_age. */
@ApplicationScoped
public class MtaStsPurge implements Purge {

  private final MtaStsPolicyStore policies;

  public MtaStsPurge(MtaStsPolicyStore policies) {
    this.policies = policies;
  }

  @Override
  public Uni<Map<String, Long>> purge() {
    return policies.purgeExpired().map(n -> Map.of("mtaStsPolicies", (long) n));
  }
}

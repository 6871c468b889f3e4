package io.postwire.audit;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.health.api.HealthGroup;
import io.smallrye.health.api.Wellness;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * {@code dns-authentication}: DOWN while any domain's latest audit fails. A wellness check, so
 * readiness (and traffic) is never affected by a customer's DNS. An {@code unknown} audit (the DNS
 * failed temporarily) says nothing definite and keeps it UP.
 */
@Wellness
@HealthGroup("dns-auth")
@ApplicationScoped
public class DnsAuthenticationHealth implements AsyncHealthCheck {

  private final AuditStore store;

  public DnsAuthenticationHealth(AuditStore store) {
    this.store = store;
  }

  @Override
  public Uni<HealthCheckResponse> call() {
    return store
        .latestStatuses()
        .map(
            statuses -> {
              HealthCheckResponseBuilder response =
                  HealthCheckResponse.named("dns-authentication")
                      .status(!statuses.containsValue("fail"));
              for (Map.Entry<String, String> entry : statuses.entrySet()) {
                response.withData(entry.getKey(), entry.getValue());
              }
              return response.build();
            });
  }
}

package io.postwire.analytics;

import io.postwire.domain.DomainNames;
import io.postwire.domain.DomainService;
import io.postwire.domain.DomainViews;
import io.postwire.platform.Refusal;
import io.postwire.security.CurrentPrincipal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code POST /v1/domains/{name}/resume} (admin): ends a pause of the reputation guard; the guard
 * counts the domain's window from now on.
 */
@Path("/v1/domains/{name}/resume")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Domains")
public class ReputationResource {

  private final ReputationGuard guard;
  private final DomainService domains;
  private final DomainViews views;
  private final CurrentPrincipal current;
  private final ReputationMetrics metrics;

  public ReputationResource(
      ReputationGuard guard,
      DomainService domains,
      DomainViews views,
      CurrentPrincipal current,
      ReputationMetrics metrics) {
    this.guard = guard;
    this.domains = domains;
    this.views = views;
    this.current = current;
    this.metrics = metrics;
  }

  @POST
  @Operation(summary = "Resume sending for a domain the reputation guard paused (admin)")
  public Uni<DomainViews.DomainView> resume(@PathParam("name") String name) {
    current.get().requireAdmin();
    String normalized = DomainNames.normalize(name);
    if (normalized == null) {
      throw Refusal.notFound("Domain");
    }
    return guard
        .resume(normalized)
        .chain(
            found -> {
              if (!found) {
                throw Refusal.notFound("Domain");
              }
              metrics.refreshSoon();
              return domains.get(current.get(), normalized).chain(views::view);
            });
  }
}

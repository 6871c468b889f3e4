package io.postwire.audit;

import io.postwire.domain.DomainNames;
import io.postwire.platform.Refusal;
import io.postwire.security.CurrentPrincipal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /v1/domains/{name}/audit}: the DNS audit of a sending domain. */
@Path("/v1/domains/{name}/audit")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Domains")
public class AuditResource {

  private final AuditService audits;
  private final AuditStore store;
  private final CurrentPrincipal current;
  private final ManualAudits manual;

  public AuditResource(
      AuditService audits, AuditStore store, CurrentPrincipal current, ManualAudits manual) {
    this.audits = audits;
    this.store = store;
    this.current = current;
    this.manual = manual;
  }

  @GET
  @Operation(summary = "The latest DNS audit; 404 until the first has finished")
  public Uni<Audit> latest(@PathParam("name") String name) {
    return visible(name)
        .chain(audits::latest)
        .onItem()
        .ifNull()
        .failWith(() -> Refusal.notFound("Audit"));
  }

  @POST
  @Operation(
      summary =
          "Audit the domain's DNS now; 429 rate_limited while one runs or within"
              + " postwire.audit.manual-interval of the last")
  public Uni<Audit> auditNow(@PathParam("name") String name) {
    return visible(name).chain(domain -> manual.admit(domain, () -> audits.audit(domain)));
  }

  /** The normalized name if the caller may see the domain and it exists, else 404. */
  private Uni<String> visible(String rawName) {
    String name = DomainNames.normalize(rawName);
    if (name == null || !current.get().mayUse(name)) {
      return Uni.createFrom().failure(Refusal.notFound("Domain"));
    }
    return store
        .exists(name)
        .map(
            exists -> {
              if (!exists) {
                throw Refusal.notFound("Domain");
              }
              return name;
            });
  }
}

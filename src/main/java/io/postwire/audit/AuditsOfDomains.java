package io.postwire.audit;

import io.postwire.domain.DomainAudits;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** The audit as the domain documents see it (see {@link DomainAudits}). */
@ApplicationScoped
public class AuditsOfDomains implements DomainAudits {

  private final AuditService audits;
  private final List<String> egressIps;

  public AuditsOfDomains(AuditService audits, AuditConfig config) {
    this.audits = audits;
    this.egressIps = config.egressIps().orElse(List.of());
  }

  @Override
  public void auditInBackground(String domain) {
    audits.auditInBackground(domain);
  }

  @Override
  public Uni<Object> latest(String domain) {
    return audits.latest(domain).map(audit -> (Object) audit);
  }

  @Override
  public List<String> egressIps() {
    return egressIps;
  }
}

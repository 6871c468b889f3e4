package io.postwire.domain;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.postwire.audit.AuditService;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/** Builds the API's domain documents (keys, DNS records to publish, latest audit). */
@ApplicationScoped
public class DomainViews {

  private final DomainService domains;
  private final AuditService audits;

  /** A domain as the API shows it. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record DomainView(
      String name,
      OffsetDateTime createdAt,
      List<Object> dkimKeys,
      List<DnsRecord> dnsRecords,
      Object audit) {}

  /** A record the user should publish. */
  public record DnsRecord(String purpose, String type, String name, String value) {}

  public DomainViews(DomainService domains, AuditService audits) {
    this.domains = domains;
    this.audits = audits;
  }

  public Uni<DomainView> register(String name, List<String> algorithms) {
    return domains
        .register(name)
        // the first audit runs in the background: the 201 does not wait for the DNS
        .invoke(domain -> audits.auditInBackground(domain.name))
        .map(
            domain ->
                new DomainView(domain.name, domain.createdAt, List.of(), records(domain), null));
  }

  public Uni<DomainView> view(DomainEntity domain) {
    return audits
        .latest(domain.name)
        .map(
            audit ->
                new DomainView(domain.name, domain.createdAt, List.of(), records(domain), audit));
  }

  public Uni<List<DomainView>> views(List<DomainEntity> page) {
    if (page.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    List<Uni<DomainView>> views = new ArrayList<>();
    for (DomainEntity domain : page) {
      views.add(view(domain));
    }
    // one query per domain, in order: the page is small (API limit)
    return Uni.join().all(views).andFailFast();
  }

  private static List<DnsRecord> records(DomainEntity domain) {
    return List.of(
        new DnsRecord("spf", "TXT", domain.name, "v=spf1 mx ~all"),
        new DnsRecord(
            "dmarc",
            "TXT",
            "_dmarc." + domain.name,
            "v=DMARC1; p=none; rua=mailto:dmarc@" + domain.name));
  }
}

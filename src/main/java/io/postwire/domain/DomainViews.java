package io.postwire.domain;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.postwire.dkim.DkimKeyService;
import io.postwire.dns.ZoneFile;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Builds the API's domain documents: keys, the DNS records to publish, the latest audit. */
@ApplicationScoped
public class DomainViews {

  private final DomainService domains;
  private final DkimKeyService keys;
  private final DomainAudits audits;
  private final List<String> egressIps;
  private final ReturnPathHosts returnPaths;

  /** A domain as the API shows it. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record DomainView(
      String name,
      OffsetDateTime createdAt,
      String returnPath,
      List<DkimKeyService.KeyView> dkimKeys,
      List<DnsRecord> dnsRecords,
      Object audit) {}

  /**
   * A record the user should publish (named apart from the DKIM key's own record).
   *
   * @param purpose {@code dkim}, {@code spf}, {@code dmarc}, {@code mta-sts}, {@code tls-rpt} or
   *     {@code return-path}
   * @param value the whole text, unsplit
   * @param zoneFileLine the record as a zone file line, the text split into quoted strings of at
   *     most 255 octets
   * @param keepPublishedUntil for a retired DKIM key's record, when it may be removed; else null
   */
  @Schema(name = "DomainDnsRecord")
  public record DnsRecord(
      String purpose,
      String type,
      String name,
      String value,
      String zoneFileLine,
      OffsetDateTime keepPublishedUntil) {

    static DnsRecord txt(String purpose, String name, String value) {
      return new DnsRecord(purpose, "TXT", name, value, ZoneFile.txtLine(name, value), null);
    }
  }

  /** The MTA-STS record's id: the registration time, which the user changes with the policy. */
  private static final DateTimeFormatter MTA_STS_ID =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

  public DomainViews(
      DomainService domains,
      DkimKeyService keys,
      DomainAudits audits,
      ReturnPathHosts returnPaths) {
    this.domains = domains;
    this.returnPaths = returnPaths;
    this.keys = keys;
    this.audits = audits;
    this.egressIps = audits.egressIps();
  }

  public Uni<DomainView> register(String name, List<String> algorithms, String returnPath) {
    return domains
        .register(name, algorithms, returnPath)
        // the first audit runs in the background: the 201 does not wait for the DNS
        .invoke(audits::auditInBackground)
        .chain(this::byName);
  }

  @WithSession
  Uni<DomainView> byName(String name) {
    return DomainEntity.<DomainEntity>findById(name).chain(this::view);
  }

  public Uni<DomainView> view(DomainEntity domain) {
    return views(List.of(domain)).map(list -> list.get(0));
  }

  public Uni<List<DomainView>> views(List<DomainEntity> page) {
    List<String> names = page.stream().map(d -> d.name).toList();
    Uni<List<Object>> latest =
        page.isEmpty()
            ? Uni.createFrom().item(List.of())
            : Uni.join().all(names.stream().map(audits::latest).toList()).andFailFast();
    return Uni.combine()
        .all()
        .unis(keys.views(names), latest)
        .with(
            (byDomain, audit) -> {
              List<DomainView> views = new ArrayList<>();
              for (DomainEntity domain : page) {
                List<DkimKeyService.KeyView> domainKeys =
                    byDomain.getOrDefault(domain.name, List.of());
                views.add(
                    new DomainView(
                        domain.name,
                        domain.createdAt,
                        domain.returnPath,
                        domainKeys,
                        records(domain, domainKeys),
                        audit.get(views.size())));
              }
              return views;
            });
  }

  private List<DnsRecord> records(DomainEntity domainEntity, List<DkimKeyService.KeyView> keys) {
    String domain = domainEntity.name;
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    List<DnsRecord> records = new ArrayList<>();
    for (DkimKeyService.KeyView key : keys) {
      // a retired key stays published a while, so that mail it signed still verifies
      OffsetDateTime until = key.keepPublishedUntil();
      if (!key.status().equals("retired") || (until != null && now.isBefore(until))) {
        DkimKeyService.DnsRecord record = key.dnsRecord();
        records.add(
            new DnsRecord(
                "dkim",
                record.type(),
                record.name(),
                record.value(),
                record.zoneFileLine(),
                until));
      }
    }
    // with the egress IPs configured, SPF names exactly them; without, the domain's MX hosts
    StringBuilder spf = new StringBuilder("v=spf1");
    for (String ip : egressIps) {
      spf.append(ip.contains(":") ? " ip6:" : " ip4:").append(ip.trim());
    }
    spf.append(egressIps.isEmpty() ? " mx ~all" : " -all");
    records.add(DnsRecord.txt("spf", domain, spf.toString()));
    records.add(
        DnsRecord.txt(
            "dmarc",
            "_dmarc." + domain,
            "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@" + domain + "; adkim=r; aspf=r"));
    // RFC 8461 §3.1: the policy itself is served at
    // https://mta-sts.<domain>/.well-known/mta-sts.txt
    records.add(
        DnsRecord.txt(
            "mta-sts",
            "_mta-sts." + domain,
            "v=STSv1; id=" + MTA_STS_ID.format(domainEntity.createdAt)));
    // RFC 8460 §3
    records.add(
        DnsRecord.txt(
            "tls-rpt", "_smtp._tls." + domain, "v=TLSRPTv1; rua=mailto:tls-reports@" + domain));
    returnPathRecords(domainEntity.returnPath, spf.toString(), records);
    return records;
  }

  /**
   * The domain's own return-path domain needs an MX at the inbound listener (bounces and reports
   * come back there) and an SPF record of its own: receivers check SPF against the envelope
   * sender's domain (RFC 7208 §2.4), which is now the return path.
   */
  private void returnPathRecords(String returnPath, String spf, List<DnsRecord> records) {
    List<String> hosts = returnPaths.mxHosts();
    if (returnPath == null || hosts.isEmpty()) {
      return;
    }
    String host = hosts.get(0);
    records.add(
        new DnsRecord(
            "return-path",
            "MX",
            returnPath,
            "10 " + host,
            returnPath + ". 3600 IN MX 10 " + host + ".",
            null));
    records.add(DnsRecord.txt("return-path", returnPath, spf));
  }
}

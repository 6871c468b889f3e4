package io.postwire.audit;

import com.google.common.net.InetAddresses;
import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.dns.Dns;
import io.postwire.dns.DnsTemporaryException;
import io.postwire.dns.SpfEvaluator;
import io.postwire.domain.ReturnPathHosts;
import io.postwire.mtasts.MtaStsFetcher;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Audits a sending domain's DNS (SPF, DKIM, DMARC, MX, MTA-STS, TLS-RPT), stores the result with
 * history and keeps the {@code postwire_audit_status} gauges current.
 */
@ApplicationScoped
public class AuditService {

  private static final Logger LOG = Logger.getLogger(AuditService.class);

  private final AuditStore store;
  private final AuditConfig config;
  private final MeterRegistry registry;
  private final SpfCheck spf;
  private final DkimCheck dkim;
  private final DmarcCheck dmarc;
  private final MxCheck mx;
  private final MtaStsCheck mtaSts;
  private final AuditGauges gauges;
  private final ReturnPathHosts returnPaths;

  public AuditService(
      AuditStore store,
      AuditConfig config,
      Dns dns,
      SpfEvaluator evaluator,
      AuditGauges gauges,
      MeterRegistry registry,
      MtaStsFetcher mtaStsFetcher,
      ReturnPathHosts returnPaths) {
    this.store = store;
    this.returnPaths = returnPaths;
    this.gauges = gauges;
    this.config = config;
    this.registry = registry;
    List<String> egress = config.egressIps().orElse(List.of());
    for (String ip : egress) {
      if (!InetAddresses.isInetAddress(ip)) {
        throw new IllegalStateException("postwire.audit.egress-ips: not an IP address: " + ip);
      }
    }
    this.spf = new SpfCheck(dns, evaluator, egress);
    this.dkim = new DkimCheck(dns, store);
    this.dmarc = new DmarcCheck(dns);
    this.mx = new MxCheck(dns);
    this.mtaSts = new MtaStsCheck(dns, mtaStsFetcher);
  }

  /** Audits a registered domain now, stores the audit and returns it. */
  public Uni<Audit> audit(String domain) {
    return Uni.combine()
        .all()
        .unis(
            guarded("spf", spf.run(domain)),
            guarded("dkim", dkim.run(domain)),
            guarded("dmarc", dmarc.run(domain)),
            guarded(
                "mx",
                store.returnPath(domain).chain(rp -> mx.run(domain, rp, returnPaths.mxHosts()))),
            guarded("mta-sts", mtaSts.mtaSts(domain)),
            guarded("tls-rpt", mtaSts.tlsRpt(domain)))
        .with(CheckResult.class, checks -> checks)
        .chain(
            found -> {
              // Text from the DNS or a policy may hold NUL or control characters, which jsonb
              // refuses: what is saved and answered is cleaned once, here.
              List<CheckResult> checks = AuditText.clean(found);
              String status = Audit.statusOf(checks);
              Audit audit =
                  new Audit(
                      domain,
                      OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS),
                      status,
                      List.copyOf(checks));
              return store
                  .latestStatus(domain)
                  .chain(
                      previous ->
                          store
                              .save(audit, config.history())
                              .invoke(() -> changed(audit, previous)))
                  .replaceWith(audit);
            });
  }

  /** Starts an audit without waiting for it (after registration); failures are only logged. */
  public void auditInBackground(String domain) {
    audit(domain)
        .subscribe()
        .with(
            audit -> LOG.debugf("first audit of %s: %s", domain, audit.status()),
            failure -> LOG.warnf(failure, "audit of %s failed", domain));
  }

  /** The latest audit of a domain, or null before the first has finished. */
  public Uni<Audit> latest(String domain) {
    return store.latest(domain);
  }

  /**
   * A check that fails with a DNS temporary failure, or outlives the domain's time budget (its
   * lookups still unanswered), is {@code unknown}: neither the check nor the audit fails for a DNS
   * that may answer next time.
   */
  private Uni<CheckResult> guarded(String name, Uni<CheckResult> check) {
    Duration timeout = config.domainTimeout();
    return check
        .ifNoItem()
        .after(timeout)
        .recoverWithItem(
            () ->
                new CheckResult.Builder(name)
                    .unknown(
                        "audit_timeout",
                        "the check did not finish within "
                            + timeout.toSeconds()
                            + " s (postwire.audit.domain-timeout); its result is unknown")
                    .build())
        .onFailure(DnsTemporaryException.class)
        .recoverWithItem(
            failure -> new CheckResult.Builder(name).temporaryFailure(failure.getMessage()).build())
        .onFailure()
        .recoverWithItem(
            failure -> {
              LOG.warnf(failure, "the %s check failed", name);
              return new CheckResult.Builder(name)
                  .unknown(
                      "check_error",
                      "the check could not finish: "
                          + (failure.getMessage() == null
                              ? failure.getClass().getSimpleName()
                              : failure.getMessage()))
                  .build();
            });
  }

  private void changed(Audit audit, String previous) {
    String domain = audit.domain();
    String status = audit.status();
    gauges.update(domain, new AuditStore.Latest(status, audit.checkedAt()));
    if (previous != null && !previous.equals(status)) {
      LOG.infof("DNS audit of %s: %s -> %s", domain, previous, status);
      registry.counter("postwire.audit.status.changes", "from", previous, "to", status).increment();
    } else if (previous == null) {
      LOG.infof("DNS audit of %s: first result %s", domain, status);
    }
  }
}

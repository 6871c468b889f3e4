package io.postwire.audit;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code postwire_audit_status{domain,status}} gauges: 1 for each domain's latest audit status,
 * 0 for the others. An audit run on this replica updates them at once; every replica also reads the
 * latest statuses from the database on a schedule, so replicas that did not run the audit agree and
 * a removed domain's gauges go away.
 */
@ApplicationScoped
public class AuditGauges {

  static final List<String> STATUSES = List.of("pass", "warn", "fail", Audit.UNKNOWN);

  private final AuditStore store;
  private final MeterRegistry registry;
  private final Map<String, AuditStore.Latest> current = new ConcurrentHashMap<>();
  private final Map<String, List<Meter>> meters = new ConcurrentHashMap<>();

  public AuditGauges(AuditStore store, MeterRegistry registry) {
    this.store = store;
    this.registry = registry;
  }

  /** A domain's audit finished; audits of one domain may finish out of order: the newest wins. */
  public void update(String domain, AuditStore.Latest audit) {
    current.merge(
        domain, audit, (seen, next) -> next.checkedAt().isBefore(seen.checkedAt()) ? seen : next);
    meters.computeIfAbsent(domain, this::register);
  }

  @Scheduled(
      identity = "audit-gauges",
      every = "${postwire.audit.metrics-refresh}",
      delayed = "5s",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> refresh() {
    OffsetDateTime asked = OffsetDateTime.now();
    return store
        .latestAudits()
        .invoke(
            latest -> {
              latest.forEach(this::update);
              for (String domain : new ArrayList<>(meters.keySet())) {
                AuditStore.Latest seen = current.get(domain);
                // an audit that finished after the question was asked is not in the answer
                if (!latest.containsKey(domain)
                    && (seen == null || seen.checkedAt().isBefore(asked))) {
                  remove(domain);
                }
              }
            })
        .replaceWithVoid();
  }

  private List<Meter> register(String domain) {
    List<Meter> registered = new ArrayList<>();
    for (String status : STATUSES) {
      registered.add(
          Gauge.builder(
                  "postwire.audit.status",
                  current,
                  latest -> {
                    AuditStore.Latest l = latest.get(domain);
                    return l != null && status.equals(l.status()) ? 1 : 0;
                  })
              .description("1 for the domain's current DNS audit status, 0 for the others")
              .tags("domain", domain, "status", status)
              .register(registry));
    }
    return registered;
  }

  private void remove(String domain) {
    List<Meter> gone = meters.remove(domain);
    current.remove(domain);
    if (gone != null) {
      gone.forEach(registry::remove);
    }
  }
}

package io.postwire.audit;

import io.postwire.platform.AdvisoryLock;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Audits every domain every {@code postwire.audit.interval}, {@code postwire.audit.concurrency} at
 * a time. Runs never overlap on a replica, and a PostgreSQL advisory lock, held on one connection
 * for the run, keeps other replicas out.
 */
@ApplicationScoped
public class AuditJob {

  private static final Logger LOG = Logger.getLogger(AuditJob.class);

  /** The advisory lock key of the audit run ("pwaudit" in ASCII). */
  static final long LOCK_KEY = 0x7077617564697474L;

  private final Pool pool;
  private final AuditStore store;
  private final AuditService audits;
  private final AuditConfig config;

  public AuditJob(Pool pool, AuditStore store, AuditService audits, AuditConfig config) {
    this.pool = pool;
    this.store = store;
    this.audits = audits;
    this.config = config;
  }

  @Scheduled(
      identity = "dns-audit",
      every = "${postwire.audit.interval}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> run() {
    return AdvisoryLock.holding(pool, LOCK_KEY, this::auditAll)
        .invoke(
            done -> {
              if (done == null) {
                LOG.debug("another replica is auditing the domains, or there was nothing to do");
              }
            })
        .replaceWithVoid();
  }

  private Uni<Void> auditAll() {
    // A few domains at a time, each within postwire.audit.domain-timeout, so the run (and the
    // lock it holds) ends in bounded time; a flat stream, not one nested Uni per domain.
    return store
        .domains()
        .onItem()
        .transformToMulti(domains -> Multi.createFrom().iterable(domains))
        .onItem()
        .transformToUni(
            domain ->
                audits
                    .audit(domain)
                    .onFailure()
                    .invoke(e -> LOG.warnf(e, "audit of %s failed", domain))
                    .onFailure()
                    .recoverWithNull()
                    .replaceWithVoid())
        .merge(Math.max(1, config.concurrency()))
        .collect()
        .last()
        .replaceWithVoid();
  }
}

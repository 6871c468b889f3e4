package io.postwire.audit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The DNS audit ({@code postwire.audit.*}).
 *
 * <ul>
 *   <li>{@code postwire.audit.interval}: how often every domain is audited (default {@code 1h})
 *   <li>{@code postwire.audit.egress-ips}: the IPs we send from, which SPF must authorize (comma
 *       list; empty = not evaluated)
 *   <li>{@code postwire.audit.history}: audits kept per domain (default 50)
 *   <li>{@code postwire.audit.domain-timeout}: how long the checks of one domain may take (default
 *       {@code 60s})
 *   <li>{@code postwire.audit.concurrency}: domains audited at once by the scheduled run (default
 *       4)
 *   <li>{@code postwire.audit.manual-interval}: least time between two manual audits of a domain
 *       (default {@code 10s})
 * </ul>
 */
@ConfigMapping(prefix = "postwire.audit")
public interface AuditConfig {

  /**
   * How often every domain is audited; read by the scheduler as {@code ${postwire.audit.interval}},
   * which finds this default (the only place it is written). Kept as text, the scheduler's own
   * syntax, so {@code off} still turns the job off.
   */
  @WithDefault("1h")
  String interval();

  /**
   * How often each replica reads the latest audit statuses for its {@code postwire_audit_status}
   * gauges; read by the scheduler as {@code ${postwire.audit.metrics-refresh}}, which finds this
   * default (the only place it is written).
   */
  @WithDefault("30s")
  String metricsRefresh();

  /** The IPs we send from; SPF must authorize each. */
  Optional<List<String>> egressIps();

  /** Audits kept per domain. */
  @WithDefault("50")
  int history();

  /**
   * How long the checks of one domain may take; a check still running then is {@code unknown} with
   * an {@code audit_timeout} finding, and the audit is saved with what finished.
   */
  @WithDefault("60s")
  Duration domainTimeout();

  /** Domains the scheduled run audits at once. */
  @WithDefault("4")
  int concurrency();

  /**
   * Least time between the starts of two manual audits ({@code POST /v1/domains/{name}/audit}) of
   * one domain; one manual audit of a domain runs at a time. Earlier requests get 429.
   */
  @WithDefault("10s")
  Duration manualInterval();
}

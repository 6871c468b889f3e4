package io.postwire.analytics;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * The reputation guard: pauses a sending domain whose bounce or complaint rate over the last {@code
 * postwire.reputation.window} exceeds its limit once at least {@code min-volume} recipients were
 * sent in the window (API.md, "Analytics, reputation guard, tracking"). Rates are bounces (or
 * complaints) in the window over recipients accepted ({@code queued}) in the window, read from the
 * rollups' hourly rows, so an asynchronous bounce or complaint counts as soon as it is folded.
 *
 * <p>The window is whole hours: it starts at the beginning of the hour {@code window} ago. After a
 * resume, the guard counts only from the resume: hours before it are left out and the counts the
 * resume hour held at the moment of the resume are subtracted, so the data that caused a pause
 * never pauses the domain again.
 */
@ApplicationScoped
public class ReputationGuard {

  private static final Logger LOG = Logger.getLogger(ReputationGuard.class);

  // $1 domains (null = every domain), $2 the window's first hour
  private static final String WINDOW =
      """
      select d.name, d.sending_paused_since is not null as paused,
      coalesce(sum(s.sent), 0) - case when d.reputation_hour >= $2
      then d.reputation_base_sent else 0 end as sent,
      coalesce(sum(s.bounced), 0) - case when d.reputation_hour >= $2
      then d.reputation_base_bounced else 0 end as bounced,
      coalesce(sum(s.complained), 0) - case when d.reputation_hour >= $2
      then d.reputation_base_complained else 0 end as complained
      from domain d left join stats_hour s on s.domain = d.name and s.tag = ''
      and s.hour >= greatest($2, coalesce(d.reputation_hour, $2))
      where ($1::text[] is null or d.name = any($1))
      group by d.name, d.sending_paused_since, d.reputation_hour, d.reputation_base_sent,
      d.reputation_base_bounced, d.reputation_base_complained""";

  private static final String PAUSE =
      """
      with p as (update domain d set sending_paused_reason = x.reason,
      sending_paused_since = now()
      from unnest($1::text[], $2::text[], $3::text[]) as x(name, reason, detail)
      where d.name = x.name and d.sending_paused_since is null
      returning d.name, x.detail)
      insert into event (domain, type, detail)
      select p.name, 'domain.paused', p.detail::jsonb from p returning domain""";

  /** One domain's counts over the window. */
  public record Window(String domain, boolean paused, long sent, long bounced, long complained) {

    /** Bounces over recipients sent; 0 when none was sent. */
    public double bounceRate() {
      return sent == 0 ? 0 : (double) bounced / sent;
    }

    /** Complaints over recipients sent; 0 when none was sent. */
    public double complaintRate() {
      return sent == 0 ? 0 : (double) complained / sent;
    }
  }

  private final Pool pool;
  private final ReputationConfig config;
  private final BigDecimal maxBounce;
  private final BigDecimal maxComplaint;

  public ReputationGuard(Pool pool, ReputationConfig config) {
    this.pool = pool;
    this.config = config;
    this.maxBounce = new BigDecimal(Double.toString(config.maxBounceRate()));
    this.maxComplaint = new BigDecimal(Double.toString(config.maxComplaintRate()));
  }

  /** The first hour of the window now. */
  Instant windowStart() {
    return Instant.now().minus(config.window()).truncatedTo(ChronoUnit.HOURS);
  }

  /** The window's counts of these domains (null: every registered domain). */
  public Uni<List<Window>> windows(SqlClient client, Collection<String> domains) {
    return client
        .preparedQuery(WINDOW)
        .execute(
            Tuple.of(
                domains == null ? null : domains.toArray(String[]::new),
                windowStart().atOffset(ZoneOffset.UTC)))
        .map(
            rows -> {
              List<Window> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(
                    new Window(
                        r.getString("name"),
                        r.getBoolean("paused"),
                        Math.max(0, r.getLong("sent")),
                        Math.max(0, r.getLong("bounced")),
                        Math.max(0, r.getLong("complained"))));
              }
              return out;
            });
  }

  /** Why a domain with these counts is to be paused, or null when it is not. */
  String reason(Window w) {
    if (w.paused() || w.sent() < config.minVolume()) {
      return null;
    }
    BigDecimal sent = BigDecimal.valueOf(w.sent());
    // exceeds: bounced / sent > max, exactly, without floating point at the threshold
    if (BigDecimal.valueOf(w.bounced()).compareTo(maxBounce.multiply(sent)) > 0) {
      return String.format(
          Locale.ROOT,
          "bounce rate %.4f (%d of %d sent) over %s exceeds postwire.reputation.max-bounce-rate %s",
          w.bounceRate(),
          w.bounced(),
          w.sent(),
          config.window(),
          maxBounce.toPlainString());
    }
    if (BigDecimal.valueOf(w.complained()).compareTo(maxComplaint.multiply(sent)) > 0) {
      return String.format(
          Locale.ROOT,
          "complaint rate %.4f (%d of %d sent) over %s exceeds"
              + " postwire.reputation.max-complaint-rate %s",
          w.complaintRate(),
          w.complained(),
          w.sent(),
          config.window(),
          maxComplaint.toPlainString());
    }
    return null;
  }

  /**
   * Pauses, within the caller's transaction, each of these domains whose window is over a limit,
   * with a {@code domain.paused} event; answers the domains paused.
   */
  Uni<List<String>> evaluate(SqlClient tx, Collection<String> domains) {
    if (!config.enabled() || domains.isEmpty()) {
      return Uni.createFrom().item(List.of());
    }
    return windows(tx, domains)
        .chain(
            windows -> {
              List<String> names = new ArrayList<>();
              List<String> reasons = new ArrayList<>();
              List<String> details = new ArrayList<>();
              for (Window w : windows) {
                String reason = reason(w);
                if (reason != null) {
                  names.add(w.domain());
                  reasons.add(reason);
                  details.add(
                      String.format(
                          Locale.ROOT,
                          "{\"reason\":\"%s\",\"sent\":%d,\"bounced\":%d,\"complained\":%d,"
                              + "\"bounceRate\":%s,\"complaintRate\":%s}",
                          reason,
                          w.sent(),
                          w.bounced(),
                          w.complained(),
                          Double.toString(w.bounceRate()),
                          Double.toString(w.complaintRate())));
                }
              }
              if (names.isEmpty()) {
                return Uni.createFrom().item(List.<String>of());
              }
              return tx.preparedQuery(PAUSE)
                  .execute(
                      Tuple.of(
                          names.toArray(String[]::new),
                          reasons.toArray(String[]::new),
                          details.toArray(String[]::new)))
                  .map(
                      rows -> {
                        List<String> paused = new ArrayList<>();
                        rows.forEach(r -> paused.add(r.getString("domain")));
                        paused.forEach(d -> LOG.warnf("Sending paused for %s", d));
                        return paused;
                      });
            });
  }

  /**
   * Clears a domain's pause and makes the guard count from now: answers false when the domain is
   * not registered. Waits for a running fold (same lock), so the baseline is the resume hour's
   * counts as folded when the resume commits.
   */
  public Uni<Boolean> resume(String domain) {
    OffsetDateTime hour = Instant.now().truncatedTo(ChronoUnit.HOURS).atOffset(ZoneOffset.UTC);
    return pool.withTransaction(
        conn ->
            conn.query("select pg_advisory_xact_lock(" + StatsFold.LOCK + ")")
                .execute()
                .chain(
                    () ->
                        conn.preparedQuery(
                                """
                                update domain d set sending_paused_reason = null,
                                sending_paused_since = null,
                                reputation_hour = case when d.sending_paused_since is null
                                then d.reputation_hour else $2 end,
                                reputation_base_sent = case when d.sending_paused_since is null
                                then d.reputation_base_sent else coalesce(s.sent, 0) end,
                                reputation_base_bounced = case when d.sending_paused_since is null
                                then d.reputation_base_bounced else coalesce(s.bounced, 0) end,
                                reputation_base_complained = case
                                when d.sending_paused_since is null
                                then d.reputation_base_complained else coalesce(s.complained, 0) end
                                from (select sum(sent) as sent, sum(bounced) as bounced,
                                sum(complained) as complained from stats_hour
                                where domain = $1 and tag = '' and hour = $2) s
                                where d.name = $1 returning d.name""")
                            .execute(Tuple.of(domain, hour))
                            .map(rows -> rows.rowCount() > 0)));
  }
}

package io.postwire.tracking;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.platform.GroupCommit;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Writes {@code opened} and {@code clicked} events into the event table (from where the sequencer
 * publishes them to {@code GET /v1/events} and webhooks as {@code message.opened}/{@code
 * .clicked}). Opens and clicks arrive one per request, so they are written in groups ({@link
 * GroupCommit}): one statement for whatever arrived meanwhile.
 *
 * <p>The statement decides what needs the delivery rows: the event's recipient (the message's
 * recipient when it has exactly one, else null: the content, and so the token, is the same for
 * every recipient) and whether the request came within {@code postwire.tracking.machine-window} of
 * the delivery. An event of a message already purged has nothing to attach to and is not written.
 *
 * <p>Nothing is lost silently: an event that finds the queue full ({@code
 * postwire.tracking.max-pending-events}) or whose write fails is counted in {@code
 * postwire_tracking_events_total{outcome="dropped"|"failed"}} and logged; the request that made it
 * is answered anyway, after at most {@code postwire.tracking.write-wait}.
 */
@ApplicationScoped
public class TrackingEvents {

  private static final Logger LOG = Logger.getLogger(TrackingEvents.class);

  private static final int MAX_GROUP = 500;
  private static final int IN_FLIGHT = 2;

  private static final String INSERT =
      """
      insert into event (message_id, recipient, type, at, detail)
      select t.message_id, d.recipient, t.type, t.at,
      t.detail::jsonb || jsonb_build_object('machine', t.machine
        or coalesce(t.at >= d.delivered_at and t.at - d.delivered_at < $6::bigint * interval '1 millisecond', false))
      from unnest($1::uuid[], $2::text[], $3::text[], $4::bool[], $5::timestamptz[])
        as t(message_id, type, detail, machine, at)
      join message m on m.id = t.message_id
      cross join lateral (
        select case when count(*) = 1 then min(x.recipient) end as recipient,
        max(x.last_attempt_at) filter (where x.status = 'delivered') as delivered_at
        from delivery x where x.message_id = t.message_id and x.status <> 'suppressed') d""";

  /** One open or click to write. {@code detail} is the JSON object without {@code machine}. */
  public record Hit(
      UUID messageId, String type, String detailJson, boolean machine, OffsetDateTime at) {}

  private final Pool pool;
  private final TrackingConfig config;
  private final GroupCommit<Hit, Boolean> groups;
  private final AtomicInteger pending = new AtomicInteger();
  private final Counter recorded;
  private final Counter dropped;
  private final Counter failed;

  public TrackingEvents(Pool pool, TrackingConfig config, MeterRegistry registry) {
    this.pool = pool;
    this.config = config;
    this.groups =
        new GroupCommit<>(
            this::insert,
            MAX_GROUP,
            IN_FLIGHT,
            failure -> true,
            GroupCommit.Alone.IN_TURN,
            (size, failure) ->
                LOG.warnf("Writing %d tracking events failed, retrying each: %s", size, failure),
            (hit, failure) -> {});
    this.recorded = counter(registry, "recorded");
    this.dropped = counter(registry, "dropped");
    this.failed = counter(registry, "failed");
    Gauge.builder("postwire.tracking.events.pending", pending, AtomicInteger::get)
        .description("tracking events waiting to be written")
        .register(registry);
  }

  private static Counter counter(MeterRegistry registry, String outcome) {
    return Counter.builder("postwire.tracking.events")
        .description("open and click events by what became of them")
        .tag("outcome", outcome)
        .register(registry);
  }

  /** The time of a hit: now, in UTC, to the microsecond PostgreSQL keeps. */
  public static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
  }

  /**
   * Queues {@code hit} for writing; completes once written, failed or dropped, or after {@code
   * postwire.tracking.write-wait}, whichever is first (never with a failure).
   */
  public Uni<Void> record(Hit hit) {
    if (pending.incrementAndGet() > config.maxPendingEvents()) {
      pending.decrementAndGet();
      dropped.increment();
      LOG.warnf(
          "Tracking event dropped: %d events already wait to be written (message %s, %s)",
          config.maxPendingEvents(), hit.messageId(), hit.type());
      return Uni.createFrom().voidItem();
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    groups
        .submit(hit)
        .subscribe()
        .with(
            ok -> {
              pending.decrementAndGet();
              recorded.increment();
              done.complete(null);
            },
            failure -> {
              pending.decrementAndGet();
              failed.increment();
              LOG.errorf(
                  "Tracking event lost: writing %s of message %s failed: %s",
                  hit.type(), hit.messageId(), failure.toString());
              done.complete(null);
            });
    return Uni.createFrom()
        .completionStage(done)
        .ifNoItem()
        .after(config.writeWait())
        .recoverWithItem((Void) null);
  }

  private Uni<List<Boolean>> insert(List<Hit> hits) {
    int n = hits.size();
    UUID[] ids = new UUID[n];
    String[] types = new String[n];
    String[] details = new String[n];
    Boolean[] machine = new Boolean[n];
    OffsetDateTime[] at = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      Hit h = hits.get(i);
      ids[i] = h.messageId();
      types[i] = h.type();
      details[i] = h.detailJson();
      machine[i] = h.machine();
      at[i] = h.at();
    }
    Tuple params =
        Tuple.tuple()
            .addArrayOfUUID(ids)
            .addArrayOfString(types)
            .addArrayOfString(details)
            .addArrayOfBoolean(machine)
            .addArrayOfOffsetDateTime(at)
            .addLong(config.machineWindow().toMillis());
    return pool.preparedQuery(INSERT)
        .execute(params)
        .map(rows -> Collections.nCopies(n, Boolean.TRUE));
  }
}

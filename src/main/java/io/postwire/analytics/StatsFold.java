package io.postwire.analytics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Keeps the rollups ({@code stats_hour}) as events happen: folds sequenced events, in {@code seq}
 * order, into one row per hour x sending domain x provider x recipient domain x tag, so {@code GET
 * /v1/stats} reads a few rows whatever the volume. Every event type in the table counts, whoever
 * wrote it (delivery outcomes, asynchronous bounces, complaints, unsubscribes, opens, clicks).
 *
 * <p>Why it neither loses nor double-counts: a fold transaction takes the transaction-level
 * advisory lock {@link #LOCK} without waiting (one replica at a time), checks that {@code
 * stats_cursor} still holds the seq the batch was read after, adds the batch to the rollups with
 * one upsert and moves the cursor to the batch's last seq, all at one commit. A crash before the
 * commit leaves cursor and rollups as they were; the next fold reads the same batch again. Events
 * with a seq never change and a seq below a visible one never appears later (see {@code
 * event.EventSequencer}), so reading the batch before the transaction is safe once the cursor is
 * found unchanged.
 *
 * <p>Providers are looked up before the transaction (bounded in time, see {@link Providers}), so no
 * DNS answer is waited for while the lock is held. The reputation guard is evaluated in the same
 * transaction, for the domains the batch touched: a pause commits with the counts that caused it.
 */
@ApplicationScoped
public class StatsFold {

  /** The advisory lock key of fold transactions ("pwstats" in ASCII). */
  static final long LOCK = 0x70777374617473L;

  private static final Logger LOG = Logger.getLogger(StatsFold.class);

  private static final String HARD_CATEGORIES =
      "('invalid_recipient', 'bad_domain', 'inactive_mailbox')";

  // The batch: the seqs after the cursor (every type, so the cursor passes them all), and the
  // counted events among them with what the rollup row needs. A bounce is hard when its category
  // (in its detail, else on its delivery row) says the address or domain is dead, or its DSN status
  // is one of RFC 3463's x.1.x/x.2.1 permanent address failures.
  private static final String READ =
      """
      with b as (select seq from event where seq > $1 order by seq limit $2)
      select x.last, r.* from (select max(seq) as last from b) x
      left join lateral (select e.seq, e.type, e.at, e.message_id, e.recipient,
      m.domain, m.tags, coalesce(e.detail -> 'machine' = 'true'::jsonb, false) as machine,
      (e.type = 'bounced' and (coalesce(e.detail ->> 'bounceCategory', e.detail ->> 'category',
      (select d.bounce_category from delivery d where d.message_id = e.message_id
      and d.recipient = e.recipient limit 1)) in %1$s
      or coalesce(e.detail -> 'dsn' ->> 'status', '') ~ '^5\\.(1\\.(1|2|3|6|10)|2\\.1)$'
      or coalesce(e.detail -> 'hard' = 'true'::jsonb, false))) as hard
      from event e join message m on m.id = e.message_id
      where e.seq in (select seq from b) and e.type in %2$s and e.recipient is not null) r on true
      order by r.seq"""
          .formatted(
              HARD_CATEGORIES,
              Counts.TYPES.stream()
                  .map(t -> "'" + t + "'")
                  .reduce((a, c) -> a + ", " + c)
                  .map(s -> "(" + s + ")")
                  .orElseThrow());

  private static final String UPSERT;

  static {
    StringBuilder arrays = new StringBuilder();
    StringBuilder names = new StringBuilder();
    StringBuilder updates = new StringBuilder();
    for (int i = 0; i < Counts.COLUMNS.size(); i++) {
      String c = Counts.COLUMNS.get(i);
      arrays.append(", $").append(i + 6).append("::bigint[]");
      names.append(", ").append(c);
      updates.append(i == 0 ? "" : ", ").append(c).append(" = s.").append(c);
      updates.append(" + excluded.").append(c);
    }
    UPSERT =
        "insert into stats_hour as s (domain, tag, hour, provider, recipient_domain"
            + names
            + ") select * from unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[],"
            + " $5::text[]"
            + arrays
            + ") on conflict (domain, tag, hour, provider, recipient_domain) do update set "
            + updates;
  }

  /** One counted event of a batch. */
  record Folded(
      long seq,
      String type,
      Instant at,
      UUID messageId,
      String recipient,
      String domain,
      List<String> tags,
      boolean machine,
      boolean hard) {

    String recipientDomain() {
      int at = recipient.lastIndexOf('@');
      return at < 0 ? "" : recipient.substring(at + 1).toLowerCase(Locale.ROOT);
    }
  }

  /** A batch read after {@code after}: its last seq (null when there was none) and its events. */
  record Batch(long after, Long last, List<Folded> events) {}

  private record Key(String domain, String tag, Instant hour, String provider, String rdomain) {}

  private record Seen(UUID messageId, String recipient, String kind) {}

  private final Pool pool;
  private final Vertx vertx;
  private final AnalyticsConfig config;
  private final Providers providers;
  private final ReputationGuard guard;
  private final Counter failures;
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong folded = new AtomicLong();
  private long timer = -1;

  public StatsFold(
      Pool pool,
      Vertx vertx,
      AnalyticsConfig config,
      Providers providers,
      ReputationGuard guard,
      MeterRegistry registry) {
    this.pool = pool;
    this.vertx = vertx;
    this.config = config;
    this.providers = providers;
    this.guard = guard;
    this.failures =
        Counter.builder("postwire.stats.fold.failures")
            .description("Fold transactions of events into the rollups that failed (retried)")
            .register(registry);
  }

  void start(@Observes StartupEvent event) {
    timer = vertx.setPeriodic(Math.max(10, config.foldInterval().toMillis()), id -> run());
  }

  void stop(@Observes ShutdownEvent event) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Events folded by this replica since it started. */
  public long folded() {
    return folded.get();
  }

  private void run() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    drain(20)
        .onTermination()
        .invoke(() -> running.set(false))
        .subscribe()
        .with(
            n -> {},
            e -> {
              failures.increment();
              LOG.debugf("Folding events into the rollups failed (retried): %s", e.toString());
            });
  }

  /** Folds batches until one is not full, at most {@code rounds}; how many events were read. */
  public Uni<Long> drain(int rounds) {
    return foldOnce()
        .chain(
            n ->
                n >= config.foldBatch() && rounds > 1
                    ? drain(rounds - 1).map(m -> n + m)
                    : Uni.createFrom().item(n));
  }

  /** One batch: read, providers, one transaction; the number of seqs passed (0 if none or busy). */
  public Uni<Long> foldOnce() {
    return pool.query("select seq from stats_cursor where id = 1")
        .execute()
        .map(rows -> rows.iterator().next().getLong("seq"))
        .chain(this::read)
        .chain(
            batch -> {
              if (batch.last() == null) {
                return Uni.createFrom().item(0L);
              }
              Set<String> domains = new LinkedHashSet<>();
              batch.events().forEach(e -> domains.add(e.recipientDomain()));
              return providers
                  .of(domains)
                  .chain(byDomain -> commit(batch, byDomain))
                  .map(
                      done -> {
                        if (!done) {
                          return 0L;
                        }
                        long n = batch.last() - batch.after();
                        folded.addAndGet(batch.events().size());
                        return n;
                      });
            });
  }

  private Uni<Batch> read(long after) {
    return pool.preparedQuery(READ)
        .execute(Tuple.of(after, config.foldBatch()))
        .map(
            rows -> {
              Long last = null;
              List<Folded> events = new ArrayList<>();
              for (Row r : rows) {
                last = r.getLong("last");
                if (r.getLong("seq") == null) {
                  continue;
                }
                String[] tags = r.getArrayOfStrings("tags");
                events.add(
                    new Folded(
                        r.getLong("seq"),
                        r.getString("type"),
                        r.getOffsetDateTime("at").toInstant(),
                        r.getUUID("message_id"),
                        r.getString("recipient"),
                        r.getString("domain"),
                        tags == null ? List.of() : List.of(tags),
                        r.getBoolean("machine"),
                        Boolean.TRUE.equals(r.getBoolean("hard"))));
              }
              return new Batch(after, last, events);
            });
  }

  private Uni<Boolean> commit(Batch batch, Map<String, String> providerOf) {
    return pool.withTransaction(
        conn ->
            conn.query("select pg_try_advisory_xact_lock(" + LOCK + ")")
                .execute()
                .chain(
                    locked -> {
                      if (!locked.iterator().next().getBoolean(0)) {
                        return Uni.createFrom().item(false);
                      }
                      return conn.query("select seq from stats_cursor where id = 1 for update")
                          .execute()
                          .chain(
                              rows -> {
                                if (rows.iterator().next().getLong("seq") != batch.after()) {
                                  // another replica folded meanwhile: read again next time
                                  return Uni.createFrom().item(false);
                                }
                                return apply(conn, batch, providerOf).replaceWith(true);
                              });
                    }));
  }

  private Uni<Void> apply(SqlConnection conn, Batch batch, Map<String, String> providerOf) {
    // unique opens and clicks: the first human one per (message, recipient) in the seen-set
    Map<Seen, Folded> firsts = new LinkedHashMap<>();
    for (Folded e : batch.events()) {
      if (!e.machine() && (e.type().equals("opened") || e.type().equals("clicked"))) {
        firsts.putIfAbsent(
            new Seen(e.messageId(), e.recipient().toLowerCase(Locale.ROOT), e.type()), e);
      }
    }
    return firstTimes(conn, firsts.keySet())
        .chain(
            fresh -> {
              Map<Key, long[]> rows = new HashMap<>();
              Set<String> touched = new LinkedHashSet<>();
              for (Folded e : batch.events()) {
                int counter = Counts.of(e.type());
                if (counter < 0 || e.domain() == null) {
                  continue;
                }
                String rdomain = e.recipientDomain();
                String provider = providerOf.getOrDefault(rdomain, Providers.OTHER);
                Instant hour = e.at().truncatedTo(ChronoUnit.HOURS);
                List<String> tags = new ArrayList<>();
                tags.add("");
                e.tags().stream().distinct().forEach(tags::add);
                boolean unique =
                    fresh.contains(
                            new Seen(
                                e.messageId(), e.recipient().toLowerCase(Locale.ROOT), e.type()))
                        && firsts.get(
                                new Seen(
                                    e.messageId(),
                                    e.recipient().toLowerCase(Locale.ROOT),
                                    e.type()))
                            == e;
                for (String tag : tags) {
                  long[] c =
                      rows.computeIfAbsent(
                          new Key(e.domain(), tag, hour, provider, rdomain),
                          k -> new long[Counts.COLUMNS.size()]);
                  c[counter]++;
                  if (counter == Counts.BOUNCED && e.hard()) {
                    c[Counts.HARD_BOUNCED]++;
                  }
                  if (unique) {
                    c[counter == Counts.OPENED ? Counts.UNIQUE_OPENED : Counts.UNIQUE_CLICKED]++;
                  }
                }
                if (counter == Counts.SENT
                    || counter == Counts.BOUNCED
                    || counter == Counts.COMPLAINED) {
                  touched.add(e.domain());
                }
              }
              return upsert(conn, rows)
                  .chain(
                      () ->
                          conn.preparedQuery("update stats_cursor set seq = $1 where id = 1")
                              .execute(Tuple.of(batch.last())))
                  .chain(() -> guard.evaluate(conn, touched))
                  .replaceWithVoid();
            });
  }

  private static Uni<Set<Seen>> firstTimes(SqlConnection conn, Set<Seen> candidates) {
    if (candidates.isEmpty()) {
      return Uni.createFrom().item(Set.of());
    }
    List<Seen> list = new ArrayList<>(candidates);
    return conn.preparedQuery(
            """
            insert into stats_seen (message_id, recipient, kind)
            select * from unnest($1::uuid[], $2::text[], $3::text[])
            on conflict do nothing returning message_id, recipient, kind""")
        .execute(
            Tuple.of(
                list.stream().map(Seen::messageId).toArray(UUID[]::new),
                list.stream().map(Seen::recipient).toArray(String[]::new),
                list.stream().map(Seen::kind).toArray(String[]::new)))
        .map(
            rows -> {
              Set<Seen> fresh = new java.util.HashSet<>();
              for (Row r : rows) {
                fresh.add(
                    new Seen(
                        r.getUUID("message_id"), r.getString("recipient"), r.getString("kind")));
              }
              return fresh;
            });
  }

  private static Uni<Void> upsert(SqlConnection conn, Map<Key, long[]> rows) {
    if (rows.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    int n = rows.size();
    String[] domains = new String[n];
    String[] tags = new String[n];
    OffsetDateTime[] hours = new OffsetDateTime[n];
    String[] providers = new String[n];
    String[] rdomains = new String[n];
    Long[][] counts = new Long[Counts.COLUMNS.size()][n];
    int i = 0;
    for (Map.Entry<Key, long[]> e : rows.entrySet()) {
      Key k = e.getKey();
      domains[i] = k.domain();
      tags[i] = k.tag();
      hours[i] = k.hour().atOffset(ZoneOffset.UTC);
      providers[i] = k.provider();
      rdomains[i] = k.rdomain();
      for (int c = 0; c < counts.length; c++) {
        counts[c][i] = e.getValue()[c];
      }
      i++;
    }
    Tuple params =
        Tuple.tuple()
            .addArrayOfString(domains)
            .addArrayOfString(tags)
            .addArrayOfOffsetDateTime(hours)
            .addArrayOfString(providers)
            .addArrayOfString(rdomains);
    for (Long[] column : counts) {
      params.addArrayOfLong(column);
    }
    return conn.preparedQuery(UPSERT).execute(params).replaceWithVoid();
  }
}

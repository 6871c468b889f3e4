package io.postwire.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.postwire.delivery.smtp.SmtpReply;
import io.postwire.delivery.smtp.SmtpResult;
import io.postwire.dkim.MessageSigner;
import io.postwire.platform.DatabaseSignals;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.pgclient.PgException;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The delivery worker of this replica: one Mutiny pipeline, started at start-up and stopped at
 * shutdown, that claims due deliveries (woken by NOTIFY, with a slow poll as a safety net), groups
 * them per message and destination, signs each message once, hands each group to the transport of
 * the configured mode, and records every recipient's outcome.
 */
@ApplicationScoped
public class DeliveryPipeline {

  private static final Logger LOG = Logger.getLogger(DeliveryPipeline.class);

  /** Most outcomes written by one statement. */
  private static final int MAX_WRITE = 256;

  /**
   * While busy, a claim waits for a quarter of the slots, or this long after the first free one.
   */
  private static final long CLAIM_DELAY_MS = 10;

  private final DeliveryConfig config;
  private final DeliveryStore store;
  private final DeliveryTransports transports;
  private final DatabaseSignals signals;
  private final MessageSigner signer;
  private final RetryPolicy retry;
  private final Vertx vertx;
  private final MeterRegistry registry;

  private final String owner = "postwire-" + UUID.randomUUID();
  private final Set<Long> held = ConcurrentHashMap.newKeySet();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicReference<MultiEmitter<? super Boolean>> wakes = new AtomicReference<>();
  private final AtomicLong[] depth = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final Map<String, Integer> domainSlots = new ConcurrentHashMap<>();
  private final List<PendingWrite> writes = new ArrayList<>();
  private boolean writing;
  private volatile boolean claimDue;
  private final AtomicInteger claimTimer = new AtomicInteger();
  private volatile boolean running;
  private volatile boolean stopping;
  private Cancellable subscription;
  private Optional<DatabaseSignals.Subscription> notifications = Optional.empty();
  private long renewTimer = -1;
  private long depthTimer = -1;
  private Timer duration;

  public DeliveryPipeline(
      DeliveryConfig config,
      DeliveryStore store,
      DeliveryTransports transports,
      DatabaseSignals signals,
      MessageSigner signer,
      RetryPolicy retry,
      Vertx vertx,
      MeterRegistry registry) {
    this.config = config;
    this.store = store;
    this.transports = transports;
    this.signals = signals;
    this.signer = signer;
    this.retry = retry;
    this.vertx = vertx;
    this.registry = registry;
  }

  /** Whether the pipeline runs (readiness). */
  public boolean running() {
    return running && !stopping;
  }

  /** Rows this replica holds right now. */
  public int inFlight() {
    return inFlight.get();
  }

  /** This replica's lease owner name. */
  public String owner() {
    return owner;
  }

  void start(@Observes @Priority(5000) StartupEvent event) {
    if (!config.enabled()) {
      LOG.info("Delivery pipeline disabled on this replica");
      return;
    }
    transports.validate();
    duration =
        Timer.builder("postwire.delivery.duration")
            .description("Time of one delivery attempt (one SMTP transaction)")
            .publishPercentileHistogram()
            .register(registry);
    String[] states = {"due", "deferred", "leased"};
    for (int i = 0; i < states.length; i++) {
      AtomicLong value = depth[i];
      Gauge.builder("postwire.queue.depth", value, AtomicLong::get)
          .tag("state", states[i])
          .description("Deliveries waiting in the queue")
          .register(registry);
    }
    listen();
    Multi<Boolean> notified =
        Multi.createFrom().<Boolean>emitter(wakes::set, BackPressureStrategy.LATEST);
    Multi<Boolean> polled =
        Multi.createFrom().ticks().every(config.pollInterval()).map(tick -> Boolean.TRUE);
    // The one subscription: wake → claim what fits → deliver each group, at most `concurrency`.
    // Wakes coalesce, but the last one is kept until there is demand for it: a wake that arrives
    // while every slot is busy must still lead to a claim once a slot frees.
    subscription =
        Multi.createBy()
            .merging()
            .streams(notified, polled)
            .onOverflow()
            .dropPreviousItems()
            .onItem()
            .transformToMultiAndConcatenate(wake -> claimGroups())
            .onItem()
            .transformToUni(this::deliverGroup)
            .merge(Math.max(1, config.concurrency()))
            .subscribe()
            .with(done -> wake(), failure -> LOG.error("Delivery pipeline stopped", failure));
    renewTimer =
        vertx.setPeriodic(
            Math.max(1000, config.lease().toMillis() / 3),
            id ->
                store
                    .renew(owner, List.copyOf(held), config.lease())
                    .subscribe()
                    .with(n -> {}, e -> LOG.warnf("Lease renewal failed: %s", e.toString())));
    depthTimer =
        vertx.setPeriodic(
            15_000,
            id ->
                store
                    .depth()
                    .subscribe()
                    .with(
                        counts -> {
                          for (int i = 0; i < 3; i++) {
                            depth[i].set(counts[i]);
                          }
                        },
                        e -> {}));
    running = true;
    wake();
    LOG.infof(
        "Delivery pipeline started: mode=%s concurrency=%d lease=%s owner=%s",
        config.mode().name().toLowerCase(), config.concurrency(), config.lease(), owner);
  }

  /** Stop claiming, let in-flight work finish within the grace period, release the rest. */
  void stop(@Observes @Priority(1) ShutdownEvent event) {
    if (!running) {
      return;
    }
    stopping = true;
    long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    int released =
        store
            .releaseAll(owner)
            .onFailure()
            .recoverWithItem(0)
            .await()
            .atMost(Duration.ofSeconds(5));
    if (subscription != null) {
      subscription.cancel();
    }
    vertx.cancelTimer(renewTimer);
    vertx.cancelTimer(depthTimer);
    notifications.ifPresent(DatabaseSignals.Subscription::cancel);
    running = false;
    LOG.infof(
        "Delivery pipeline stopped; %d deliveries released, %d unfinished",
        released, inFlight.get());
  }

  /** Asks the pipeline to look for due work (coalesced). */
  public void wake() {
    MultiEmitter<? super Boolean> emitter = wakes.get();
    if (emitter != null && !stopping) {
      emitter.emit(Boolean.TRUE);
    }
  }

  private void listen() {
    notifications =
        signals.subscribe(
            DatabaseSignals.DELIVERY,
            payload -> wake(),
            () -> LOG.debug("Listening for new deliveries"));
  }

  /**
   * Claims as many due rows as there are free slots and groups them. While work is in flight a
   * claim waits until a quarter of the slots are free, or {@link #CLAIM_DELAY_MS} after it was
   * first put off: one statement then claims many rows instead of one row per finished transaction.
   */
  private Multi<Group> claimGroups() {
    int free = config.concurrency() - inFlight.get();
    if (stopping || free <= 0) {
      return Multi.createFrom().empty();
    }
    int enough = Math.max(1, config.concurrency() / 4);
    if (free < enough && free < config.concurrency() && !claimDue) {
      if (claimTimer.compareAndSet(0, 1)) {
        vertx.setTimer(
            CLAIM_DELAY_MS,
            id -> {
              claimTimer.set(0);
              claimDue = true;
              wake();
            });
      }
      return Multi.createFrom().empty();
    }
    claimDue = false;
    inFlight.addAndGet(free);
    return store
        .claim(owner, free, config.lease(), config.claimMaxBytes())
        .onFailure()
        .invoke(e -> LOG.warnf("Claiming deliveries failed: %s", e.toString()))
        .onFailure()
        .recoverWithItem(List.of())
        .onItem()
        .transformToMulti(
            claimed -> {
              inFlight.addAndGet(claimed.size() - free);
              claimed.forEach(c -> held.add(c.id()));
              if (claimed.size() == free) {
                wake();
              }
              return Multi.createFrom().iterable(group(claimed));
            });
  }

  /** Recipients of one message that share one SMTP transaction. */
  record Group(UUID messageId, String destination, List<DeliveryStore.Claimed> rows) {
    DeliveryStore.MessageData message() {
      return rows.get(0).message();
    }
  }

  private List<Group> group(List<DeliveryStore.Claimed> claimed) {
    boolean perDomain = config.mode() == DeliveryConfig.Mode.MX;
    Map<String, Group> groups = new LinkedHashMap<>();
    for (DeliveryStore.Claimed c : claimed) {
      String destination = perDomain ? c.recipientDomain() : "";
      groups
          .computeIfAbsent(
              c.messageId() + "|" + destination,
              k -> new Group(c.messageId(), destination, new ArrayList<>()))
          .rows()
          .add(c);
    }
    return List.copyOf(groups.values());
  }

  /** How long deliveries over their domain's slot cap wait before they are claimed again. */
  static final Duration OVER_DOMAIN_CAP_DELAY = Duration.ofSeconds(5);

  private Uni<Void> deliverGroup(Group group) {
    if (!takeDomainSlot(group)) {
      // the domain holds its share of the slots: give these rows back for a little while
      return store
          .release(
              owner,
              group.rows().stream().map(DeliveryStore.Claimed::id).toList(),
              OVER_DOMAIN_CAP_DELAY)
          .onFailure()
          .recoverWithNull()
          .eventually(
              () -> {
                group.rows().forEach(r -> held.remove(r.id()));
                inFlight.addAndGet(-group.rows().size());
              })
          .replaceWithVoid();
    }
    long started = System.nanoTime();
    return Uni.createFrom()
        .deferred(() -> attempt(group, group.message()))
        .ifNoItem()
        .after(config.attemptTimeout())
        .recoverWithItem(() -> deadlineExceeded(group))
        .onFailure(e -> !DatabaseFailures.is(e))
        .recoverWithUni(e -> internalFailure(group, e))
        .chain(this::write)
        .onFailure()
        .invoke(
            e ->
                LOG.warnf(
                    e,
                    "Recording the delivery of message %s failed (database); its lease will expire",
                    group.messageId()))
        .onFailure()
        .recoverWithNull()
        .eventually(
            () -> {
              duration.record(Duration.ofNanos(System.nanoTime() - started));
              group.rows().forEach(r -> held.remove(r.id()));
              inFlight.addAndGet(-group.rows().size());
              releaseDomainSlot(group);
            })
        .replaceWithVoid();
  }

  /** Takes one of the recipient domain's slots (MX mode), or says it has none left. */
  private boolean takeDomainSlot(Group group) {
    if (config.mode() != DeliveryConfig.Mode.MX) {
      return true;
    }
    int cap = config.maxSlotsPerDomain().orElse(Math.max(1, config.concurrency() / 4));
    boolean[] taken = {false};
    domainSlots.compute(
        group.destination(),
        (d, held) -> {
          int n = held == null ? 0 : held;
          if (n >= cap) {
            return held;
          }
          taken[0] = true;
          return n + 1;
        });
    return taken[0];
  }

  private void releaseDomainSlot(Group group) {
    if (config.mode() != DeliveryConfig.Mode.MX) {
      return;
    }
    domainSlots.computeIfPresent(group.destination(), (d, held) -> held <= 1 ? null : held - 1);
  }

  /**
   * An attempt that ran past {@code postwire.delivery.attempt-timeout} is abandoned: cancelling it
   * takes the transaction out of its connection queue or closes its connection. Its recipients are
   * deferred with the normal backoff (or expire), and their rows leave the renewed set at once:
   * should this outcome not be written, their lease runs out and a later attempt takes them.
   */
  private Recorded deadlineExceeded(Group group) {
    group.rows().forEach(r -> held.remove(r.id()));
    DeliveryStore.MessageData message = group.message();
    if (message == null) {
      return new Recorded(List.of(), List.of());
    }
    LOG.warnf(
        "Delivery of message %s to %s passed its %s deadline; deferred",
        group.messageId(),
        group.destination().isEmpty() ? "the relay" : group.destination(),
        config.attemptTimeout());
    // no server said it: a local transient reply (RFC 3463 X.4.2, the transaction could not be
    // completed in time), so the recipient's lastResponse says why it waits
    SmtpReply reply =
        new SmtpReply(
            451,
            "4.4.2",
            "attempt deadline exceeded: no outcome within "
                + config.attemptTimeout().toSeconds()
                + " s");
    Map<String, SmtpReply> replies = new LinkedHashMap<>();
    for (DeliveryStore.Claimed c : group.rows()) {
      replies.put(c.recipient(), reply);
    }
    return fromSmtp(
        group,
        message,
        new SmtpResult(null, null, false, replies, config.attemptTimeout().toMillis()));
  }

  /** What one group's attempt leaves to write: outcomes, events, and a signature to store. */
  private record Recorded(
      List<DeliveryStore.Outcome> outcomes,
      List<DeliveryStore.Event> events,
      DeliveryStore.Signature signature) {

    Recorded(List<DeliveryStore.Outcome> outcomes, List<DeliveryStore.Event> events) {
      this(outcomes, events, null);
    }

    Recorded signed(DeliveryStore.Signature s) {
      return new Recorded(outcomes, events, s);
    }
  }

  private record PendingWrite(Recorded recorded, UniEmitter<? super Void> done) {}

  /**
   * Writes a group's outcomes. Groups that finish while a write runs go together in the next one,
   * so under load one statement (and one commit) records many transactions.
   */
  private Uni<Void> write(Recorded recorded) {
    if (recorded.outcomes().isEmpty() && recorded.events().isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return Uni.createFrom()
        .emitter(
            done -> {
              synchronized (writes) {
                writes.add(new PendingWrite(recorded, done));
              }
              flush();
            });
  }

  private void flush() {
    List<PendingWrite> batch;
    synchronized (writes) {
      if (writing || writes.isEmpty()) {
        return;
      }
      writing = true;
      List<PendingWrite> head = writes.subList(0, Math.min(writes.size(), MAX_WRITE));
      batch = new ArrayList<>(head);
      head.clear();
    }
    record(batch)
        .subscribe()
        .with(
            v -> written(batch, null),
            e -> {
              if (batch.size() > 1 && refused(e)) {
                // one group's row must not cost the others their outcome: a transaction
                // whose outcome is not written is sent again once its lease expires
                LOG.warnf(
                    "The database refused the outcomes of %d transactions written together (%s);"
                        + " writing them one by one",
                    batch.size(), e.getMessage());
                writeOneByOne(batch);
              } else {
                written(batch, e);
              }
            });
  }

  /**
   * One statement for the outcomes of {@code batch}. The SMTP side is done: while we hold the lease
   * keep trying to record it through a database blip, or the message would be sent again; a
   * statement the database refuses is not tried again as it is.
   */
  private Uni<Void> record(List<PendingWrite> batch) {
    List<DeliveryStore.Outcome> outcomes = new ArrayList<>();
    List<DeliveryStore.Event> events = new ArrayList<>();
    List<DeliveryStore.Signature> signatures = new ArrayList<>();
    for (PendingWrite w : batch) {
      outcomes.addAll(w.recorded().outcomes());
      events.addAll(w.recorded().events());
      if (w.recorded().signature() != null) {
        signatures.add(w.recorded().signature());
      }
    }
    return store
        .record(owner, outcomes, events, signatures)
        .onFailure(e -> !refused(e))
        .retry()
        .withBackOff(Duration.ofMillis(200), Duration.ofSeconds(2))
        .expireIn(config.lease().toMillis())
        .invoke(() -> OutcomeLog.recorded(outcomes));
  }

  /** Writes each group of {@code batch} by itself, in turn: only a refused group fails. */
  private void writeOneByOne(List<PendingWrite> batch) {
    Multi.createFrom()
        .iterable(batch)
        .onItem()
        .transformToUniAndConcatenate(
            w ->
                record(List.of(w))
                    .onItemOrFailure()
                    .transform(
                        (v, e) -> {
                          if (e != null) {
                            LOG.errorf(
                                "The database refused the outcome of message %s: %s",
                                messageOf(w), e.getMessage());
                          }
                          complete(w, e);
                          return w;
                        }))
        .collect()
        .last()
        .subscribe()
        .with(last -> written(List.of(), null), e -> written(List.of(), e));
  }

  private void written(List<PendingWrite> batch, Throwable failure) {
    synchronized (writes) {
      writing = false;
    }
    for (PendingWrite w : batch) {
      complete(w, failure);
    }
    flush();
  }

  /**
   * A failure inside the service (a bug, a corrupt row; not the database, whose failures leave the
   * lease to expire): never retried silently. Each recipient gets a {@code failed_internal} event
   * and is retried with the normal backoff, until its {@code
   * postwire.delivery.max-internal-failures}-th such failure makes it {@code failed} with {@code
   * bounceCategory} {@code internal_error} (API.md, "Message content").
   */
  private Uni<Recorded> internalFailure(Group group, Throwable failure) {
    String error = io.postwire.delivery.smtp.SmtpReplies.printable(failure.toString(), 500);
    DeliveryStore.MessageData message = group.message();
    return store
        .internalFailures(group.messageId(), recipients(group))
        .map(
            earlier -> {
              Instant now = Instant.now();
              List<DeliveryStore.Outcome> outcomes = new ArrayList<>();
              List<DeliveryStore.Event> events = new ArrayList<>();
              for (DeliveryStore.Claimed c : group.rows()) {
                int failures = earlier.getOrDefault(c.recipient(), 0) + 1;
                LOG.errorf(
                    failure,
                    "Delivery of message %s to %s failed inside the service (%d of %d)",
                    c.messageId(),
                    c.recipient(),
                    failures,
                    config.maxInternalFailures());
                events.add(
                    new DeliveryStore.Event(
                        c.messageId(),
                        c.recipient(),
                        "failed_internal",
                        "{\"error\":" + quote(error) + ",\"failures\":" + failures + "}"));
                count("internal_error");
                String text = "internal error: " + error;
                Instant next = now.plus(retry.next(c.attempts() + 1, java.util.Optional.empty()));
                if (failures >= config.maxInternalFailures()) {
                  outcomes.add(internal(c, "failed", null, text, "internal_error"));
                  events.add(
                      new DeliveryStore.Event(
                          c.messageId(),
                          c.recipient(),
                          "failed",
                          "{\"reason\":\"internal_error\"}"));
                  count("failed");
                } else if (message != null && !next.isBefore(message.expiresAt())) {
                  outcomes.add(internal(c, "expired", null, text, "expired"));
                  events.add(
                      new DeliveryStore.Event(
                          c.messageId(), c.recipient(), "expired", "{\"reason\":\"expired\"}"));
                  count("expired");
                } else {
                  outcomes.add(internal(c, "deferred", next, text, null));
                }
              }
              return new Recorded(outcomes, events);
            });
  }

  private static DeliveryStore.Outcome internal(
      DeliveryStore.Claimed c, String status, Instant next, String text, String category) {
    return new DeliveryStore.Outcome(
        c.id(),
        c.messageId(),
        c.recipient(),
        status,
        next,
        null,
        null,
        text,
        null,
        category,
        true,
        false);
  }

  private static void complete(PendingWrite w, Throwable failure) {
    if (failure == null) {
      w.done().complete(null);
    } else {
      w.done().fail(failure);
    }
  }

  private static UUID messageOf(PendingWrite w) {
    return !w.recorded().outcomes().isEmpty()
        ? w.recorded().outcomes().get(0).messageId()
        : w.recorded().events().get(0).messageId();
  }

  /**
   * Whether the database answered the statement with an error of its own, as for a value it cannot
   * store, rather than the statement failing on the way (connection lost, pool exhausted) or for a
   * reason that passes by itself (SQLSTATE classes 08 connection, 40 transaction rollback, 53
   * insufficient resources, 57 operator intervention, 58 system error).
   */
  static boolean refused(Throwable e) {
    if (!(e instanceof PgException pg) || pg.getSqlState() == null) {
      return false;
    }
    String sqlClass = pg.getSqlState().length() < 2 ? "" : pg.getSqlState().substring(0, 2);
    return !Set.of("08", "40", "53", "57", "58").contains(sqlClass);
  }

  private Uni<Recorded> attempt(Group group, DeliveryStore.MessageData message) {
    Instant now = Instant.now();
    if (message == null) {
      return Uni.createFrom().item(new Recorded(List.of(), List.of()));
    }
    if (!message.domainExists()) {
      return Uni.createFrom().item(finish(group, "failed", null, "domain_removed"));
    }
    if (!now.isBefore(message.expiresAt())) {
      return Uni.createFrom().item(finish(group, "expired", "expired", "expired"));
    }
    // Every delivery still open for this message is in this group: nobody else can send it
    // before our outcome is written, so the signature is stored with that outcome.
    boolean alone = message.pending() <= group.rows().size();
    return signature(message, alone)
        .chain(
            s -> {
              // the signature goes beside the content, never copied into it: each group's
              // transaction would otherwise hold its own copy of the whole message
              byte[] head = s == null ? new byte[0] : s.getBytes(StandardCharsets.US_ASCII);
              byte[] content = message.content();
              Uni<Recorded> sent =
                  switch (config.mode()) {
                    case SANDBOX -> Uni.createFrom().item(sandbox(group));
                    case RELAY ->
                        transports
                            .relay(message.mailFrom(), recipients(group), head, content)
                            .map(result -> fromSmtp(group, message, result));
                    case MX ->
                        transports
                            .mx(
                                group.destination(),
                                message.mailFrom(),
                                recipients(group),
                                head,
                                content)
                            .map(result -> fromSmtp(group, message, result));
                  };
              boolean unsaved = alone && message.signature() == null && s != null && !s.isEmpty();
              return unsaved
                  ? sent.map(r -> r.signed(new DeliveryStore.Signature(message.id(), s)))
                  : sent;
            });
  }

  /**
   * The message's signature: signed at its first attempt, reused after. When other groups may send
   * the same message it is stored before sending (first writer wins), so every transaction carries
   * the same signed bytes.
   */
  private Uni<String> signature(DeliveryStore.MessageData message, boolean alone) {
    if (message.signature() != null) {
      return Uni.createFrom().item(message.signature());
    }
    Uni<String> signed = signer.sign(message.domain(), message.content());
    return alone ? signed : signed.chain(s -> store.storeSignature(message.id(), s));
  }

  private static List<String> recipients(Group group) {
    return group.rows().stream().map(DeliveryStore.Claimed::recipient).toList();
  }

  /** Sandbox mode: everything but the connection; each recipient counts as delivered. */
  private Recorded sandbox(Group group) {
    return everyRecipient(group, "delivered", null, null, true, "{\"sandbox\":true}");
  }

  /** Ends every recipient without an attempt (domain removed, expired). */
  private Recorded finish(Group group, String status, String category, String reason) {
    return everyRecipient(
        group, status, category, reason, false, "{\"reason\":\"" + reason + "\"}");
  }

  private Recorded everyRecipient(
      Group group,
      String status,
      String category,
      String text,
      boolean attempted,
      String eventDetail) {
    List<DeliveryStore.Outcome> outcomes = new ArrayList<>();
    List<DeliveryStore.Event> events = new ArrayList<>();
    for (DeliveryStore.Claimed c : group.rows()) {
      outcomes.add(
          new DeliveryStore.Outcome(
              c.id(),
              c.messageId(),
              c.recipient(),
              status,
              null,
              null,
              null,
              text,
              null,
              category,
              attempted,
              false));
      events.add(new DeliveryStore.Event(c.messageId(), c.recipient(), status, eventDetail));
      count(status);
    }
    return new Recorded(outcomes, events);
  }

  private Recorded fromSmtp(Group group, DeliveryStore.MessageData message, SmtpResult result) {
    List<DeliveryStore.Outcome> outcomes = new ArrayList<>();
    List<DeliveryStore.Event> events = new ArrayList<>();
    Instant now = Instant.now();
    for (DeliveryStore.Claimed c : group.rows()) {
      SmtpReply reply = result.recipients().get(c.recipient());
      if (reply == null) {
        reply = new SmtpReply(0, null, "no reply for this recipient");
      }
      String host = result.host();
      events.add(
          new DeliveryStore.Event(
              c.messageId(), c.recipient(), "attempt", attemptDetail(result, reply)));
      if (reply.positive()) {
        outcomes.add(outcome(c, "delivered", null, reply, host, null, false));
        events.add(
            new DeliveryStore.Event(c.messageId(), c.recipient(), "delivered", replyJson(reply)));
        count("delivered");
      } else if (reply.permanentFailure()) {
        BounceClassifier.Classification cls = BounceClassifier.classify(reply);
        outcomes.add(
            outcome(c, "bounced", null, reply, host, cls.category(), cls.suppressAddress()));
        events.add(
            new DeliveryStore.Event(c.messageId(), c.recipient(), "bounced", replyJson(reply)));
        if (cls.suppressAddress()) {
          events.add(
              new DeliveryStore.Event(
                  c.messageId(), c.recipient(), "suppressed", "{\"reason\":\"hard_bounce\"}"));
        }
        count("bounced");
      } else {
        Duration wait = retry.next(c.attempts() + 1, transports.retryHint(reply));
        Instant next = now.plus(wait);
        if (!next.isBefore(message.expiresAt())) {
          outcomes.add(outcome(c, "expired", null, reply, host, "expired", false));
          events.add(
              new DeliveryStore.Event(c.messageId(), c.recipient(), "expired", replyJson(reply)));
          count("expired");
        } else {
          outcomes.add(outcome(c, "deferred", next, reply, host, null, false));
          events.add(
              new DeliveryStore.Event(c.messageId(), c.recipient(), "deferred", replyJson(reply)));
          count("deferred");
        }
      }
    }
    return new Recorded(outcomes, events);
  }

  private static DeliveryStore.Outcome outcome(
      DeliveryStore.Claimed c,
      String status,
      Instant next,
      SmtpReply reply,
      String host,
      String category,
      boolean suppress) {
    return new DeliveryStore.Outcome(
        c.id(),
        c.messageId(),
        c.recipient(),
        status,
        next,
        reply.code(),
        reply.enhancedCode(),
        reply.text(),
        host,
        category,
        true,
        suppress);
  }

  private void count(String outcome) {
    outcomes
        .computeIfAbsent(
            outcome,
            o ->
                Counter.builder("postwire.deliveries")
                    .tag("outcome", o)
                    .description("Delivery outcomes per recipient")
                    .register(registry))
        .increment();
  }

  private static String attemptDetail(SmtpResult result, SmtpReply reply) {
    return "{\"host\":"
        + quote(result.host())
        + ",\"ip\":"
        + quote(result.ip())
        + ",\"tls\":"
        + result.tls()
        + ",\"code\":"
        + reply.code()
        + ",\"enhancedCode\":"
        + quote(reply.enhancedCode())
        + ",\"text\":"
        + quote(reply.text())
        + ",\"durationMs\":"
        + result.durationMs()
        + "}";
  }

  private static String replyJson(SmtpReply reply) {
    return "{\"code\":"
        + reply.code()
        + ",\"enhancedCode\":"
        + quote(reply.enhancedCode())
        + ",\"text\":"
        + quote(reply.text())
        + "}";
  }

  static String quote(String s) {
    if (s == null) {
      return "null";
    }
    return io.vertx.core.json.Json.encode(s);
  }
}

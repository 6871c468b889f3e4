package io.postwire.delivery;

import io.postwire.dkim.MessageSigner;
import io.postwire.platform.DatabaseSignals;
import io.postwire.platform.DeliveryStatus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.mutiny.core.Vertx;
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
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The delivery worker of this replica: one Mutiny pipeline, started at start-up and stopped at
 * shutdown, that claims due deliveries (woken by NOTIFY, with a slow poll as a safety net), groups
 * them per message and destination, signs each message once, hands each group to the transport of
 * the configured mode, and records every recipient's outcome. What an attempt means for each
 * recipient is {@link OutcomeMapping}'s, writing it {@link OutcomeWriter}'s, the meters {@link
 * DeliveryMetrics}'.
 */
@ApplicationScoped
public class DeliveryPipeline {

  private static final Logger LOG = Logger.getLogger(DeliveryPipeline.class);

  /**
   * While busy, a claim waits for a quarter of the slots, or this long after the first free one.
   */
  private static final long CLAIM_DELAY_MS = 10;

  private final DeliveryConfig config;
  private final DeliveryStore store;
  private final DeliveryTransports transports;
  private final DatabaseSignals signals;
  private final MessageSigner signer;
  private final Vertx vertx;
  private final DeliveryMetrics metrics;
  private final OutcomeMapping outcomes;
  private final OutcomeWriter writer;
  private final ReturnPaths returnPaths;

  private final String owner = "postwire-" + UUID.randomUUID();
  private final Set<Long> held = ConcurrentHashMap.newKeySet();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicReference<MultiEmitter<? super Boolean>> wakes = new AtomicReference<>();
  private final Map<String, Integer> domainSlots = new ConcurrentHashMap<>();
  private volatile boolean claimDue;
  private final AtomicInteger claimTimer = new AtomicInteger();
  private volatile boolean running;
  private volatile boolean stopping;
  private Cancellable subscription;
  private Optional<DatabaseSignals.Subscription> notifications = Optional.empty();
  private long renewTimer = -1;
  private long depthTimer = -1;

  public DeliveryPipeline(
      DeliveryConfig config,
      DeliveryStore store,
      DeliveryTransports transports,
      DatabaseSignals signals,
      MessageSigner signer,
      Vertx vertx,
      DeliveryMetrics metrics,
      OutcomeMapping outcomes,
      ReturnPaths returnPaths) {
    this.returnPaths = returnPaths;
    this.config = config;
    this.store = store;
    this.transports = transports;
    this.signals = signals;
    this.signer = signer;
    this.vertx = vertx;
    this.metrics = metrics;
    this.outcomes = outcomes;
    this.writer = new OutcomeWriter(store, owner, config.lease());
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
    metrics.register();
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
        vertx.setPeriodic(15_000, id -> store.depth().subscribe().with(metrics::depth, e -> {}));
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
  private Multi<DeliveryGroup> claimGroups() {
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

  private List<DeliveryGroup> group(List<DeliveryStore.Claimed> claimed) {
    boolean perDomain = config.mode() == DeliveryConfig.Mode.MX;
    Map<String, DeliveryGroup> groups = new LinkedHashMap<>();
    for (DeliveryStore.Claimed c : claimed) {
      String destination = perDomain ? c.recipientDomain() : "";
      // with VERP each recipient has its own envelope sender, so its own transaction; the content
      // and its one stored signature stay the same for all of them
      String verp =
          c.message() == null ? null : returnPaths.envelopeSender(c.id(), c.message().returnPath());
      groups
          .computeIfAbsent(
              c.messageId() + "|" + destination + (verp == null ? "" : "|" + c.id()),
              k -> new DeliveryGroup(c.messageId(), destination, verp, new ArrayList<>()))
          .rows()
          .add(c);
    }
    return List.copyOf(groups.values());
  }

  /** How long deliveries over their domain's slot cap wait before they are claimed again. */
  static final Duration OVER_DOMAIN_CAP_DELAY = Duration.ofSeconds(5);

  private Uni<Void> deliverGroup(DeliveryGroup group) {
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
        .recoverWithUni(
            e ->
                store
                    .internalFailures(group.messageId(), group.recipients())
                    .map(earlier -> outcomes.internalFailure(group, e, earlier)))
        .chain(writer::write)
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
              metrics.attempted(System.nanoTime() - started);
              group.rows().forEach(r -> held.remove(r.id()));
              inFlight.addAndGet(-group.rows().size());
              releaseDomainSlot(group);
            })
        .replaceWithVoid();
  }

  /** Takes one of the recipient domain's slots (MX mode), or says it has none left. */
  private boolean takeDomainSlot(DeliveryGroup group) {
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

  private void releaseDomainSlot(DeliveryGroup group) {
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
  private Recorded deadlineExceeded(DeliveryGroup group) {
    group.rows().forEach(r -> held.remove(r.id()));
    DeliveryStore.MessageData message = group.message();
    if (message == null) {
      return Recorded.NOTHING;
    }
    LOG.warnf(
        "Delivery of message %s to %s passed its %s deadline; deferred",
        group.messageId(),
        group.destination().isEmpty() ? "the relay" : group.destination(),
        config.attemptTimeout());
    return outcomes.deadlineExceeded(group, message);
  }

  private Uni<Recorded> attempt(DeliveryGroup group, DeliveryStore.MessageData message) {
    Instant now = Instant.now();
    if (message == null) {
      return Uni.createFrom().item(Recorded.NOTHING);
    }
    if (!message.domainExists()) {
      return Uni.createFrom()
          .item(outcomes.finish(group, DeliveryStatus.FAILED, null, "domain_removed"));
    }
    if (!now.isBefore(message.expiresAt())) {
      return Uni.createFrom()
          .item(outcomes.finish(group, DeliveryStatus.EXPIRED, "expired", "expired"));
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
                    case SANDBOX -> Uni.createFrom().item(outcomes.sandbox(group));
                    case RELAY ->
                        transports
                            .relay(group.envelopeSender(), group.recipients(), head, content)
                            .map(result -> outcomes.fromSmtp(group, message, result));
                    case MX ->
                        transports
                            .mx(
                                group.destination(),
                                group.envelopeSender(),
                                group.recipients(),
                                head,
                                content)
                            .map(result -> outcomes.fromSmtp(group, message, result));
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
}

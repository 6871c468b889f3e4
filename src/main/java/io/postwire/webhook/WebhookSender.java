package io.postwire.webhook;

import com.google.common.net.InetAddresses;
import io.postwire.dns.Dns;
import io.postwire.egress.EgressPolicy;
import io.postwire.event.EventSequencer;
import io.postwire.platform.DatabaseSignals;
import io.postwire.platform.GroupCommit;
import io.postwire.platform.Json;
import io.postwire.webhook.WebhookStore.Claimed;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.mutiny.core.Vertx;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Sends webhook deliveries: its own loop and statements, apart from the delivery pipeline. Rows are
 * claimed under a lease (as deliveries are), so replicas never send one event to one webhook at the
 * same time; a claim takes no row whose recipient has an earlier pending event for that webhook, so
 * events reach a webhook in seq order per recipient. At most {@code concurrency} POSTs are in
 * flight per replica, and at most {@code per-endpoint} to one webhook.
 *
 * <p>A claim takes up to twice what may be in flight ({@link #AHEAD}): while one set of POSTs is
 * under way the next waits here, and the next claim runs once half of a webhook's share is left, so
 * one statement serves several POSTs instead of one each. A POST's slot is free once its answer is
 * in; its outcome is written after (with others finishing within {@link #LINGER_MS}), and until
 * then its row stays pending and leased, so the recipient's next event still waits for it.
 */
@ApplicationScoped
public class WebhookSender {

  /** The most of an answer's body read (and then dropped): nothing in it is used. */
  static final int MAX_RESPONSE_BYTES = 4096;

  /** The most addresses of one name tried for one POST. */
  static final int MAX_ADDRESSES = 8;

  /** Rows held per webhook (and in all) as a multiple of what may be in flight. */
  static final int AHEAD = 2;

  /** How long a finished POST's outcome waits for others to be written with it. */
  static final long LINGER_MS = 5;

  private static final Logger LOG = Logger.getLogger(WebhookSender.class);

  private final WebhookStore store;
  private final WebhookSecrets secrets;
  private final WebhookMetrics metrics;
  private final WebhookConfig config;
  private final Dns dns;
  private final EgressPolicy egress;
  private final Json json;
  private final DatabaseSignals signals;
  private final Vertx vertx;
  private final String owner = "webhooks-" + UUID.randomUUID();

  /** Per webhook: rows claimed and not yet answered (waiting here or in flight). */
  private final Map<UUID, Integer> held = new HashMap<>();

  /** Per webhook: claimed rows waiting for a free slot, with when they were claimed. */
  private final Map<UUID, ArrayDeque<Waiting>> waiting = new LinkedHashMap<>();

  /** Per webhook: POSTs in flight. */
  private final Map<UUID, Integer> sending = new HashMap<>();

  private int totalHeld;
  private int totalSending;
  private boolean claiming;
  private boolean again;
  private HttpClient client;
  private long pollTimer = -1;
  private long backlogTimer = -1;

  private record Waiting(Claimed claimed, long claimedAt) {}

  /**
   * Outcomes finishing together are written in one statement: one commit for many tries instead of
   * one each, the larger part of the sender's database cost at a high event rate.
   */
  private final GroupCommit<WebhookStore.Outcome, Boolean> outcomes;

  public WebhookSender(
      WebhookStore store,
      WebhookSecrets secrets,
      WebhookMetrics metrics,
      WebhookConfig config,
      Dns dns,
      EgressPolicy egress,
      Json json,
      DatabaseSignals signals,
      Vertx vertx) {
    this.store = store;
    this.secrets = secrets;
    this.metrics = metrics;
    this.config = config;
    this.dns = dns;
    this.egress = egress;
    this.json = json;
    this.signals = signals;
    this.vertx = vertx;
    this.outcomes =
        new GroupCommit<>(
            group -> store.record(owner, group),
            100,
            1,
            WebhookSender::refused,
            GroupCommit.Alone.IN_TURN,
            (size, e) ->
                LOG.warnf(
                    "The database refused %d webhook outcomes written together (%s); writing them"
                        + " one by one",
                    size, e.getMessage()),
            (o, e) ->
                LOG.errorf(
                    "The database refused the outcome of webhook delivery %d: %s",
                    o.deliveryId(), e.getMessage()));
    this.outcomes.lingering(write -> vertx.setTimer(LINGER_MS, id -> write.run()));
  }

  void start(@Observes StartupEvent event) {
    metrics.register();
    if (!config.enabled()) {
      LOG.info("Webhook sender disabled on this replica");
      return;
    }
    long timeout = config.timeout().toMillis();
    HttpClientOptions options =
        new HttpClientOptions()
            .setConnectTimeout((int) timeout)
            .setVerifyHost(true)
            .setForceSni(true)
            .setMaxPoolSize(Math.max(1, config.perEndpoint()));
    // the authorities of an internal PKI, instead of the JDK's
    config
        .trustStore()
        .ifPresent(path -> options.setTrustOptions(new PemTrustOptions().addCertPath(path)));
    client = vertx.getDelegate().createHttpClient(options);
    pollTimer = vertx.setPeriodic(Math.max(10, config.pollInterval().toMillis()), id -> poll());
    signals.subscribe(
        EventSequencer.WEBHOOKS, payload -> vertx.runOnContext(this::poll), this::poll);
    backlogTimer =
        vertx.setPeriodic(5000, id -> store.backlog().subscribe().with(metrics::backlog, e -> {}));
  }

  void stop(@Observes ShutdownEvent event) {
    if (pollTimer >= 0) {
      vertx.cancelTimer(pollTimer);
      vertx.cancelTimer(backlogTimer);
      try {
        store.release(owner).await().atMost(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        // the leases expire by themselves
        LOG.debugf("Webhook leases not released: %s", e.toString());
      }
      client.close();
    }
  }

  /** Claims what the free room allows and sends it; runs on one event loop thread. */
  synchronized void poll() {
    int free = AHEAD * config.concurrency() - totalHeld;
    if (claiming) {
      again = true;
      return;
    }
    if (free <= 0) {
      return;
    }
    claiming = true;
    again = false;
    long claimedAt = System.nanoTime();
    store
        .claim(owner, free, Map.copyOf(held), AHEAD * config.perEndpoint(), lease())
        .subscribe()
        .with(
            claimed -> {
              synchronized (this) {
                claiming = false;
                for (Claimed c : claimed) {
                  totalHeld++;
                  held.merge(c.webhookId(), 1, Integer::sum);
                  waiting
                      .computeIfAbsent(c.webhookId(), k -> new ArrayDeque<>())
                      .add(new Waiting(c, claimedAt));
                }
                dispatch();
                if (again || claimed.size() == free) {
                  vertx.runOnContext(this::poll);
                }
              }
            },
            failure -> {
              synchronized (this) {
                claiming = false;
              }
              LOG.debugf("Webhook claim failed (retried): %s", failure.toString());
            });
  }

  /**
   * Starts the waiting rows that have a free slot (their webhook's and the replica's). A row that
   * waited so long that its lease could end before its POST does is let go without a try: once the
   * lease is over it is claimed again, and no two replicas send it at once.
   */
  private synchronized void dispatch() {
    long now = System.nanoTime();
    long latestStart = lease().minus(config.timeout()).minusSeconds(5).toNanos();
    for (var it = waiting.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<UUID, ArrayDeque<Waiting>> e = it.next();
      ArrayDeque<Waiting> rows = e.getValue();
      while (!rows.isEmpty()
          && totalSending < config.concurrency()
          && sending.getOrDefault(e.getKey(), 0) < config.perEndpoint()) {
        Waiting w = rows.poll();
        if (now - w.claimedAt() > latestStart) {
          release(e.getKey());
          continue;
        }
        totalSending++;
        sending.merge(e.getKey(), 1, Integer::sum);
        send(w.claimed());
      }
      if (rows.isEmpty()) {
        it.remove();
      }
    }
  }

  private void release(UUID webhook) {
    totalHeld--;
    held.computeIfPresent(webhook, (k, n) -> n > 1 ? n - 1 : null);
  }

  /** Rows held here may wait for one set of POSTs to that webhook before their own. */
  private Duration lease() {
    return config.timeout().multipliedBy(AHEAD).plusSeconds(30);
  }

  private void send(Claimed c) {
    long started = System.nanoTime();
    post(c)
        .onFailure()
        .recoverWithItem(failure -> new Answer(null, null, failure.getMessage()))
        .invoke(
            answer -> {
              boolean claim;
              synchronized (this) {
                totalSending--;
                sending.computeIfPresent(c.webhookId(), (k, n) -> n > 1 ? n - 1 : null);
                release(c.webhookId());
                dispatch();
                claim =
                    held.getOrDefault(c.webhookId(), 0) <= config.perEndpoint()
                        || totalHeld <= config.concurrency();
              }
              if (claim) {
                vertx.runOnContext(this::poll);
              }
            })
        .chain(answer -> record(c, answer, (int) ((System.nanoTime() - started) / 1_000_000)))
        .subscribe()
        .with(v -> {}, e -> LOG.warnf("Webhook outcome not written: %s", e.toString()));
  }

  /** What an endpoint answered: its status, {@code Retry-After}; or why there is no answer. */
  record Answer(Integer status, String retryAfter, String error) {}

  private Uni<Void> record(Claimed c, Answer answer, int durationMs) {
    String attempt;
    String state;
    Instant next = null;
    boolean disable = false;
    int tries = c.attempts() + 1;
    List<Duration> schedule = config.retrySchedule();
    if (answer.status() != null && answer.status() / 100 == 2) {
      attempt = "delivered";
      state = "delivered";
    } else if (answer.status() != null && answer.status() == 410) {
      attempt = "disabled";
      state = "failed";
      disable = true;
    } else if (tries > schedule.size()) {
      attempt = "failed";
      state = "failed";
    } else {
      attempt = "retrying";
      state = "pending";
      Duration wait = retryAfter(answer.retryAfter());
      next = Instant.now().plus(wait != null ? wait : jitter(schedule.get(tries - 1)));
      if (answer.error() != null) {
        LOG.debugf("Webhook %s: %s", c.webhookId(), answer.error());
      }
    }
    metrics.count(attempt);
    return outcomes
        .submit(
            new WebhookStore.Outcome(
                c.deliveryId(), state, next, attempt, answer.status(), durationMs, disable))
        .replaceWithVoid();
  }

  /**
   * Whether the database refused a group's statement for something in it (each outcome is then
   * written alone, so one cannot cost the others theirs), not for a reason that passes by itself
   * (SQLSTATE classes 08, 40, 53, 57, 58).
   */
  static boolean refused(Throwable e) {
    if (!(e instanceof PgException pg) || pg.getSqlState() == null) {
      return false;
    }
    String sqlClass = pg.getSqlState().length() < 2 ? "" : pg.getSqlState().substring(0, 2);
    return !Set.of("08", "40", "53", "57", "58").contains(sqlClass);
  }

  /** {@code d} ±20 %. */
  static Duration jitter(Duration d) {
    double factor = 0.8 + ThreadLocalRandom.current().nextDouble() * 0.4;
    return Duration.ofMillis((long) (d.toMillis() * factor));
  }

  /** A {@code Retry-After} (seconds or an HTTP date) as a wait, capped; null when absent. */
  Duration retryAfter(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    Duration wait;
    String v = value.strip();
    if (v.matches("\\d{1,12}")) {
      wait = Duration.ofSeconds(Long.parseLong(v));
    } else {
      try {
        wait =
            Duration.between(
                Instant.now(),
                ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
      } catch (DateTimeParseException e) {
        return null;
      }
    }
    if (wait.isNegative()) {
      return Duration.ZERO;
    }
    return wait.compareTo(config.maxRetryAfter()) > 0 ? config.maxRetryAfter() : wait;
  }

  /** One POST: resolves the host through the service's DNS, checks the egress policy, signs. */
  private Uni<Answer> post(Claimed c) {
    URI uri = URI.create(c.url());
    String host = uri.getHost();
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    Uni<List<InetAddress>> addresses =
        InetAddresses.isInetAddress(bare)
            ? Uni.createFrom().item(List.of(InetAddresses.forString(bare)))
            : dns.addresses(bare);
    return addresses.chain(
        found -> {
          List<InetAddress> permitted = egress.permitted(found);
          if (permitted.isEmpty()) {
            return Uni.createFrom()
                .item(
                    new Answer(null, null, found.isEmpty() ? "no address" : EgressPolicy.REFUSED));
          }
          long timeout = config.timeout().toMillis();
          return post(c, uri, bare, permitted, 0)
              .ifNoItem()
              .after(Duration.ofMillis(timeout))
              .failWith(() -> new TimeoutException("no answer within " + timeout + " ms"));
        });
  }

  /**
   * The POST to {@code addresses[i]}, and when that one refuses the connection or cannot be
   * reached, to the next (RFC 9110 section 4.3.5: a client may try the addresses of a name in
   * turn); every try shares the one {@code timeout}. Only a failure to connect moves on: an answer,
   * or silence after the request was sent, is the endpoint's.
   */
  private Uni<Answer> post(Claimed c, URI uri, String host, List<InetAddress> addresses, int i) {
    Uni<Answer> one = post(c, uri, host, addresses.get(i));
    if (i + 1 >= Math.min(addresses.size(), MAX_ADDRESSES)) {
      return one;
    }
    return one.onFailure(WebhookSender::notConnected)
        .recoverWithUni(
            failure -> {
              LOG.debugf(
                  "Webhook %s: %s unreachable (%s), trying the next address",
                  c.webhookId(), addresses.get(i).getHostAddress(), failure.toString());
              return post(c, uri, host, addresses, i + 1);
            });
  }

  /** Whether the failure is that no connection was made (refused, unreachable, timed out). */
  static boolean notConnected(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return true;
      }
    }
    return false;
  }

  private Uni<Answer> post(Claimed c, URI uri, String host, InetAddress address) {
    boolean tls = "https".equals(uri.getScheme().toLowerCase(Locale.ROOT));
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    byte[] body = json.write(c.event());
    String id = c.event().id().toString();
    long timestamp = Instant.now().getEpochSecond();
    String signature =
        WebhookSecrets.sign(secrets.open(c.webhookId(), c.secret()), id, timestamp, body);
    if (c.previousSecret() != null) {
      signature +=
          " "
              + WebhookSecrets.sign(
                  secrets.open(c.webhookId(), c.previousSecret()), id, timestamp, body);
    }
    long timeout = config.timeout().toMillis();
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
            .setHost(host)
            .setPort(port)
            .setSsl(tls)
            .setURI(path)
            .setFollowRedirects(false)
            .setIdleTimeout(timeout)
            .putHeader("content-type", "application/json")
            .putHeader("user-agent", "Postwire-Webhooks")
            .putHeader("webhook-id", id)
            .putHeader("webhook-timestamp", Long.toString(timestamp))
            .putHeader("webhook-signature", signature);
    return Uni.createFrom()
        .<Answer>emitter(
            emitter -> {
              AtomicReference<HttpClientRequest> request = new AtomicReference<>();
              AtomicBoolean done = new AtomicBoolean();
              emitter.onTermination(
                  () -> {
                    if (done.compareAndSet(false, true) && request.get() != null) {
                      request.get().reset();
                    }
                  });
              client
                  .request(options)
                  .compose(
                      r -> {
                        request.set(r);
                        if (done.get()) {
                          r.reset();
                          return Future.failedFuture("cancelled");
                        }
                        return r.send(Buffer.buffer(body));
                      })
                  .onFailure(
                      e -> {
                        if (done.compareAndSet(false, true)) {
                          emitter.fail(e);
                        }
                      })
                  .onSuccess(
                      response -> {
                        Answer answer =
                            new Answer(
                                response.statusCode(), response.getHeader("retry-after"), null);
                        int[] read = {0};
                        response.exceptionHandler(e -> {});
                        // the body is read and dropped, and no more than MAX_RESPONSE_BYTES of it
                        response.handler(
                            chunk -> {
                              read[0] += chunk.length();
                              if (read[0] > MAX_RESPONSE_BYTES && request.get() != null) {
                                request.get().reset();
                              }
                            });
                        if (done.compareAndSet(false, true)) {
                          emitter.complete(answer);
                        }
                      });
            });
  }
}

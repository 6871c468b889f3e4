package io.postwire.platform;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The refusals that happen before a request reaches a resource: a body over the HTTP limit, sends
 * beyond what this replica has room for (load shedding), sends beyond one key's share of that room,
 * and bodies not received within {@code postwire.api.body-timeout}. All answer with problem details
 * like every other error.
 *
 * <p>The share per key and the body deadline together keep a slow client from holding the room
 * others need: a client trickling its body holds at most its key's share, and only until the
 * deadline (the HTTP layer's idle timeout, 30 minutes, never fires while a byte arrives now and
 * then).
 */
@ApplicationScoped
public class HttpLimits {

  private static final Logger LOG = Logger.getLogger(HttpLimits.class);

  /** A send is counted as at least this much: small bodies still cost parsing and rendering. */
  static final long MIN_COST = 16 * 1024;

  private static final Problem TOO_LARGE =
      Problem.of(
          413,
          "payload_too_large",
          "The request body is larger than this service accepts",
          List.of());

  private static final Problem BODY_TOO_SLOW =
      Problem.of(
          408,
          "request_timeout",
          "The request body did not arrive in time (postwire.api.body-timeout); send it again",
          List.of());

  private final long budget;
  private final long perKey;
  private final long maxBody;
  private final long bodyTimeoutMs;
  private final Vertx vertx;
  private final RequestCredentials credentials;
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong shed = new AtomicLong();
  private final Map<RoutingContext, Admission> admitted = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> inFlightByKey = new ConcurrentHashMap<>();

  /** What one admitted send holds, and under which key (its Authorization header). */
  private record Admission(String key, long cost) {}

  public HttpLimits(ApiConfig config, Vertx vertx, RequestCredentials credentials) {
    this.vertx = vertx;
    this.credentials = credentials;
    this.budget = config.maxInFlightBytes().asLongValue();
    this.perKey = config.maxInFlightBytesPerKey().map(MemorySize::asLongValue).orElse(budget / 2);
    this.bodyTimeoutMs = Math.max(1, config.bodyTimeout().toMillis());
    this.maxBody = new MemorySizeConverter().convert(config.maxRequestSize()).asLongValue();
    // The end handler does not run for every way a request can end (a client that hangs up
    // mid-body, a refusal by the HTTP layer): a sweep gives back what such requests held.
    vertx.setPeriodic(1000, id -> sweep());
  }

  private void sweep() {
    admitted.keySet().stream()
        .filter(ctx -> ctx.response().ended() || ctx.response().closed())
        .toList()
        .forEach(this::release);
  }

  /** Bytes of send bodies being handled now (for tests and metrics). */
  public long inFlightBytes() {
    return inFlight.get();
  }

  void install(@Observes Router router) {
    router.route().order(Integer.MIN_VALUE).handler(this::admit);
    router.errorHandler(413, ctx -> problem(ctx, TOO_LARGE));
  }

  /**
   * Admits a send while the bodies in flight fit the budget (one is always admitted) and the key's
   * share of it (a key's first send is always admitted), and gives its room back when the response
   * ends or the connection closes. Every request with a body gets the body deadline.
   */
  private void admit(RoutingContext ctx) {
    long declared = declaredLength(ctx);
    if (declared > maxBody) {
      // refused before its body is read; the connection cannot be reused with the body unread
      ctx.response().putHeader("Connection", "close");
      refuseTooLarge(ctx);
      return;
    }
    if (hasBody(ctx)) {
      // the timer holds the request weakly: a timer left running after an early answer (or not
      // cancelled for any reason) must not keep an ended request and its body alive for the
      // whole deadline; a request still uploading is held by its connection
      WeakReference<RoutingContext> request = new WeakReference<>(ctx);
      long timer =
          vertx.setTimer(
              bodyTimeoutMs,
              id -> {
                RoutingContext pending = request.get();
                if (pending != null) {
                  bodyTimedOut(pending);
                }
              });
      ctx.addEndHandler(
          done -> {
            // an answer given before the body was read (401, 503, …) keeps the deadline running
            if (ctx.request().isEnded() || ctx.response().closed()) {
              vertx.cancelTimer(timer);
            }
          });
    }
    if (ctx.request().method() != HttpMethod.POST
        || !ctx.normalizedPath().startsWith("/v1/messages")) {
      ctx.next();
      return;
    }
    long cost = Math.max(MIN_COST, declared);
    String key = String.valueOf(ctx.request().getHeader("Authorization"));
    String refusal = reserve(key, cost);
    if (refusal != null) {
      // before refusing, give back what requests that have already ended still hold
      sweep();
      refusal = reserve(key, cost);
    }
    if (refusal != null) {
      if (shed.getAndIncrement() % 1000 == 0) {
        LOG.warnf(
            "Sends beyond %d bytes in flight (%d per key) are refused with 503 (%d so far)",
            budget, perKey, shed.get());
      }
      ctx.response().putHeader("Retry-After", "1");
      problem(ctx, Problem.of(503, "unavailable", refusal, List.of()));
      return;
    }
    admitted.put(ctx, new Admission(key, cost));
    ctx.addEndHandler(done -> release(ctx));
    ctx.next();
  }

  /**
   * Answers a body over the limit with 413, but only to a caller with a valid key: authentication
   * comes first (API.md), so a caller without one learns nothing but 401. The body stays unread.
   */
  private void refuseTooLarge(RoutingContext ctx) {
    if (!credentials.required(ctx.normalizedPath())) {
      problem(ctx, TOO_LARGE);
      return;
    }
    ctx.request().pause();
    credentials
        .valid(ctx.request())
        .subscribe()
        .with(
            valid -> {
              if (!valid) {
                ctx.response().putHeader("WWW-Authenticate", "Bearer");
                problem(ctx, credentials.unauthorized());
              } else {
                problem(ctx, TOO_LARGE);
              }
            },
            failure -> {
              if (failure instanceof Refusal refusal) {
                if (refusal.retryAfterSeconds() != null) {
                  ctx.response().putHeader("Retry-After", refusal.retryAfterSeconds().toString());
                }
                problem(ctx, ProblemMapper.problem(refusal));
              } else if (ProblemMapper.databaseUnavailable(failure)) {
                ctx.response().putHeader("Retry-After", "5");
                problem(ctx, ProblemMapper.UNAVAILABLE);
              } else {
                LOG.error("Authenticating an oversize request failed", failure);
                problem(ctx, Problem.of(500, "internal", "Internal error", List.of()));
              }
            });
  }

  /** Takes room for a send, or says why there is none. */
  private String reserve(String key, long cost) {
    AtomicLong mine = inFlightByKey.computeIfAbsent(key, k -> new AtomicLong());
    long held = mine.addAndGet(cost);
    if (held > perKey && held != cost) {
      giveBack(key, mine, cost);
      return "This API key's sends hold as much of this replica as one key may; retry later";
    }
    long now = inFlight.addAndGet(cost);
    if (now > budget && now != cost) {
      inFlight.addAndGet(-cost);
      giveBack(key, mine, cost);
      return "This replica is handling as many sends as it has room for; retry later";
    }
    return null;
  }

  private void giveBack(String key, AtomicLong held, long cost) {
    if (held.addAndGet(-cost) == 0) {
      // a racing reserve may have taken the counter again: it only loses its map entry, which
      // the next reserve for the key recreates
      inFlightByKey.remove(key, held);
    }
  }

  private void release(RoutingContext ctx) {
    Admission admission = admitted.remove(ctx);
    if (admission != null) {
      inFlight.addAndGet(-admission.cost());
      AtomicLong held = inFlightByKey.get(admission.key());
      if (held != null) {
        giveBack(admission.key(), held, admission.cost());
      }
    }
  }

  private static boolean hasBody(RoutingContext ctx) {
    String length = ctx.request().getHeader("Content-Length");
    return (length != null && !length.trim().equals("0"))
        || ctx.request().getHeader("Transfer-Encoding") != null;
  }

  /**
   * The body deadline: a request whose body has not fully arrived is answered with 408 and its
   * connection closed (the unread rest of the body would otherwise be taken as the next request);
   * the end handlers give back what it held. When it was already answered (say 401 before its body
   * was read) and its body still trickles in, the connection is closed all the same.
   */
  private void bodyTimedOut(RoutingContext ctx) {
    if (ctx.request().isEnded() || ctx.response().closed()) {
      return;
    }
    LOG.debugf("Body of %s %s not received in time", ctx.request().method(), ctx.normalizedPath());
    if (ctx.response().ended()) {
      cutOff(ctx);
      return;
    }
    ctx.response()
        .setStatusCode(408)
        .putHeader("Content-Type", Problem.MEDIA_TYPE)
        .putHeader("Connection", "close")
        .end(Json.encode(BODY_TOO_SLOW))
        .onComplete(done -> cutOff(ctx));
  }

  private static void cutOff(RoutingContext ctx) {
    if (ctx.request().version() == HttpVersion.HTTP_2) {
      // other streams share the connection: only this one is cut off
      ctx.response().reset();
    } else {
      ctx.request().connection().close();
    }
  }

  /**
   * The body length the request declares. A chunked body declares none and may grow to the request
   * limit while it is read and held, so it is counted at that limit: the budget bounds memory for
   * every client, at the price of fewer chunked sends at once.
   */
  private long declaredLength(RoutingContext ctx) {
    String length = ctx.request().getHeader("Content-Length");
    if (length == null) {
      return maxBody;
    }
    try {
      return Math.max(0, Long.parseLong(length.trim()));
    } catch (NumberFormatException e) {
      return maxBody;
    }
  }

  private static void problem(RoutingContext ctx, Problem problem) {
    ctx.response()
        .setStatusCode(problem.status())
        .putHeader("Content-Type", Problem.MEDIA_TYPE)
        .end(Json.encode(problem));
  }
}

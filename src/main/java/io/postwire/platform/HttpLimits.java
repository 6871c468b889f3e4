package io.postwire.platform;

import io.postwire.security.ApiConfig;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The refusals that happen before a request reaches a resource: a body over the HTTP limit, and
 * sends beyond what this replica has room for (load shedding). Both answer with problem details
 * like every other error.
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

  private final long budget;
  private final long maxBody;
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong shed = new AtomicLong();
  private final Map<RoutingContext, Long> admitted = new ConcurrentHashMap<>();

  public HttpLimits(ApiConfig config, io.vertx.core.Vertx vertx) {
    this.budget = config.maxInFlightBytes().asLongValue();
    this.maxBody =
        new io.quarkus.runtime.configuration.MemorySizeConverter()
            .convert(config.maxRequestSize())
            .asLongValue();
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
   * Admits a send while the bodies in flight fit the budget (one is always admitted), and gives its
   * share back when the response ends or the connection closes.
   */
  private void admit(RoutingContext ctx) {
    long declared = declaredLength(ctx);
    if (declared > maxBody) {
      // refused before its body is read; the connection cannot be reused with the body unread
      ctx.response().putHeader("Connection", "close");
      problem(ctx, TOO_LARGE);
      return;
    }
    if (ctx.request().method() != HttpMethod.POST
        || !ctx.normalizedPath().startsWith("/v1/messages")) {
      ctx.next();
      return;
    }
    long cost = Math.max(MIN_COST, declared);
    long now = inFlight.addAndGet(cost);
    if (now > budget && now != cost) {
      // before refusing, give back what requests that have already ended still hold
      inFlight.addAndGet(-cost);
      sweep();
      now = inFlight.addAndGet(cost);
    }
    if (now > budget && now != cost) {
      inFlight.addAndGet(-cost);
      if (shed.getAndIncrement() % 1000 == 0) {
        LOG.warnf(
            "Sends beyond %d bytes in flight are refused with 503 (%d so far)", budget, shed.get());
      }
      ctx.response().putHeader("Retry-After", "1");
      problem(
          ctx,
          Problem.of(
              503,
              "unavailable",
              "This replica is handling as many sends as it has room for; retry later",
              List.of()));
      return;
    }
    admitted.put(ctx, cost);
    ctx.addEndHandler(done -> release(ctx));
    ctx.next();
  }

  private void release(RoutingContext ctx) {
    Long cost = admitted.remove(ctx);
    if (cost != null) {
      inFlight.addAndGet(-cost);
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

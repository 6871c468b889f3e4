package io.postwire.platform;

import io.postwire.security.ApiConfig;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
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

  private final long budget;
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong shed = new AtomicLong();

  public HttpLimits(ApiConfig config) {
    this.budget = config.maxInFlightBytes().asLongValue();
  }

  /** Bytes of send bodies being handled now (for tests and metrics). */
  public long inFlightBytes() {
    return inFlight.get();
  }

  void install(@Observes Router router) {
    router.route().order(Integer.MIN_VALUE).handler(this::admit);
    router.errorHandler(
        413,
        ctx ->
            problem(
                ctx,
                Problem.of(
                    413,
                    "payload_too_large",
                    "The request body is larger than this service accepts",
                    List.of())));
  }

  /**
   * Admits a send while the bodies in flight fit the budget (one is always admitted), and gives its
   * share back when the response ends or the connection closes.
   */
  private void admit(RoutingContext ctx) {
    if (ctx.request().method() != HttpMethod.POST
        || !ctx.normalizedPath().startsWith("/v1/messages")) {
      ctx.next();
      return;
    }
    long declared = declaredLength(ctx);
    long cost = Math.max(MIN_COST, declared);
    long now = inFlight.addAndGet(cost);
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
    ctx.addEndHandler(done -> inFlight.addAndGet(-cost));
    ctx.next();
  }

  private static long declaredLength(RoutingContext ctx) {
    String length = ctx.request().getHeader("Content-Length");
    if (length == null) {
      return MIN_COST; // chunked: the body limit still applies as it streams in
    }
    try {
      return Math.max(0, Long.parseLong(length.trim()));
    } catch (NumberFormatException e) {
      return MIN_COST;
    }
  }

  private static void problem(RoutingContext ctx, Problem problem) {
    ctx.response()
        .setStatusCode(problem.status())
        .putHeader("Content-Type", Problem.MEDIA_TYPE)
        .end(Json.encode(problem));
  }
}

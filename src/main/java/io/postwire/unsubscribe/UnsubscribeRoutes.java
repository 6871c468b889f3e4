package io.postwire.unsubscribe;

import io.postwire.platform.ProblemMapper;
import io.postwire.security.ApiKeyFilter;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.jsoup.nodes.Entities;

/**
 * The one-click unsubscribe pages under {@code postwire.public-url} (RFC 8058), outside {@code /v1}
 * and without an API key: the token is the credential.
 *
 * <ul>
 *   <li>{@code POST /u/<token>} unsubscribes (RFC 8058 §3.2: the body is {@code
 *       List-Unsubscribe=One-Click}, form-urlencoded or multipart; the token alone decides, so any
 *       body within {@value #MAX_BODY} bytes is accepted) → 200, also when done before.
 *   <li>{@code GET /u/<token>} (and {@code HEAD}) only shows a page whose button makes that POST:
 *       link scanners and prefetchers follow GETs, and must not unsubscribe anyone (§3.2).
 *   <li>A forged or altered token → 404 before any database query.
 * </ul>
 *
 * <p>These are Vert.x routes rather than resources so the body is bounded here, at a few kilobytes
 * instead of the API's message-sized limit, before a byte is held. The HTTP edge's body deadline
 * ({@code postwire.api.body-timeout}) applies as to every request, and each client address gets
 * {@code postwire.unsubscribe.rate} requests per second.
 */
@ApplicationScoped
public class UnsubscribeRoutes {

  /** Largest body of a one-click POST: the RFC 8058 body is 26 bytes, multipart a few hundred. */
  static final int MAX_BODY = 8 * 1024;

  private static final Logger LOG = Logger.getLogger(UnsubscribeRoutes.class);

  private static final String NOT_FOUND =
      page(
          "Link not valid",
          "<p>This unsubscribe link is not valid, or its message is no longer kept.</p>");

  private final UnsubscribeLinks links;
  private final Unsubscribes unsubscribes;
  private final ClientRate rate;

  public UnsubscribeRoutes(
      UnsubscribeLinks links, Unsubscribes unsubscribes, UnsubscribeConfig config) {
    this.links = links;
    this.unsubscribes = unsubscribes;
    this.rate = new ClientRate(config.rate(), config.burst(), System::nanoTime);
  }

  void install(@Observes Router router) {
    // after the HTTP edge's admission (order Integer.MIN_VALUE), before the REST resources
    String path = UnsubscribeLinks.PATH + ":token";
    // HEAD as GET (link checkers send it); neither changes anything
    router
        .route(path)
        .method(HttpMethod.GET)
        .method(HttpMethod.HEAD)
        .order(-1001)
        .handler(this::limited)
        .handler(this::page);
    // the rate is checked before the body is read: a route of its own, as a body handler must
    // come first on its route
    router.route(HttpMethod.POST, path).order(-1001).handler(this::limited);
    router
        .route(HttpMethod.POST, path)
        .order(-1000)
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY))
        .handler(this::unsubscribe);
  }

  /** The per-address rate, before the body is read or anything is looked up. */
  private void limited(RoutingContext ctx) {
    long wait = rate.take(ApiKeyFilter.client(ctx.request()));
    if (wait > 0) {
      ctx.response().putHeader("Retry-After", Long.toString(wait));
      html(ctx, 429, page("Too many requests", "<p>Too many requests; try again shortly.</p>"));
      return;
    }
    ctx.next();
  }

  private void page(RoutingContext ctx) {
    String token = ctx.pathParam("token");
    Optional<UUID> message = links.messageOfLink(token);
    if (message.isEmpty()) {
      html(ctx, 404, NOT_FOUND);
      return;
    }
    answer(
        ctx,
        unsubscribes
            .target(message.get())
            .map(
                target ->
                    target.map(t -> t.suppressed() ? done(t) : confirm(token, t)).orElse(null)));
  }

  private void unsubscribe(RoutingContext ctx) {
    Optional<UUID> message = links.messageOfLink(ctx.pathParam("token"));
    if (message.isEmpty()) {
      html(ctx, 404, NOT_FOUND);
      return;
    }
    answer(
        ctx,
        unsubscribes
            .unsubscribe(message.get(), "https")
            .map(outcome -> outcome.map(o -> done(o.target())).orElse(null)));
  }

  /** Answers with the page, 404 when null, 503 or 500 when the database could not say. */
  private static void answer(RoutingContext ctx, Uni<String> work) {
    work.subscribe()
        .with(
            body -> {
              if (body == null) {
                html(ctx, 404, NOT_FOUND);
              } else {
                html(ctx, 200, body);
              }
            },
            failure -> {
              if (ProblemMapper.databaseUnavailable(failure)) {
                ctx.response().putHeader("Retry-After", "5");
                html(ctx, 503, page("Try again", "<p>Please try again in a moment.</p>"));
              } else {
                LOG.error("Unsubscribe failed", failure);
                html(ctx, 500, page("Error", "<p>Something went wrong; please try again.</p>"));
              }
            });
  }

  private static String confirm(String token, Unsubscribes.Target t) {
    return page(
        "Unsubscribe",
        "<p>Stop mail from <b>"
            + Entities.escape(t.domain())
            + "</b> to <b>"
            + Entities.escape(t.recipient())
            + "</b>?</p>\n<form method=\"post\" action=\""
            + Entities.escape(UnsubscribeLinks.PATH + token)
            + "\">\n<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\n"
            + "<button type=\"submit\">Unsubscribe</button>\n</form>");
  }

  private static String done(Unsubscribes.Target t) {
    return page(
        "Unsubscribed",
        "<p><b>"
            + Entities.escape(t.recipient())
            + "</b> is unsubscribed and gets no more mail from <b>"
            + Entities.escape(t.domain())
            + "</b>.</p>");
  }

  private static String page(String title, String body) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<meta name=\"robots\" content=\"noindex\"><title>"
        + title
        + "</title></head>\n<body>\n<h1>"
        + title
        + "</h1>\n"
        + body
        + "\n</body></html>\n";
  }

  private static void html(RoutingContext ctx, int status, String body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("X-Robots-Tag", "noindex")
        .end(body);
  }
}

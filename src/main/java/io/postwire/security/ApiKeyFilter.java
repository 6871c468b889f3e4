package io.postwire.security;

import io.postwire.platform.Problem;
import io.postwire.platform.ProblemMapper;
import io.postwire.platform.Refusal;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authentication first: every {@code /v1} request needs {@code Authorization: Bearer <key>}; a
 * missing or unknown key is refused with 401 before routing, body reading or validation.
 */
public class ApiKeyFilter {

  private final ApiKeyService keys;
  private final CurrentPrincipal current;

  public ApiKeyFilter(ApiKeyService keys, CurrentPrincipal current) {
    this.keys = keys;
    this.current = current;
  }

  /** The answer to a request without a valid key. */
  public static final Problem UNAUTHORIZED =
      Problem.of(
          401,
          "unauthorized",
          "A valid API key is required (Authorization: Bearer <key>)",
          List.of());

  /** True for the paths that need an API key. */
  public static boolean needsKey(String path) {
    return path.equals("/v1") || path.startsWith("/v1/");
  }

  /** The token of an {@code Authorization: Bearer <token>} header, or null. */
  public static String bearerToken(String header) {
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    return null;
  }

  @ServerRequestFilter(preMatching = true, priority = Priorities.AUTHENTICATION)
  public Uni<Response> authenticate(ContainerRequestContext request, HttpServerRequest http) {
    if (!needsKey(request.getUriInfo().getPath())) {
      return Uni.createFrom().nullItem();
    }
    String token = bearerToken(request.getHeaderString(HttpHeaders.AUTHORIZATION));
    return keys.authenticate(token, client(http))
        .<Object>map(principal -> principal)
        .onFailure(Refusal.class)
        .recoverWithItem(e -> (Object) new Denied(ProblemMapper.response((Refusal) e)))
        .map(
            outcome -> {
              if (outcome instanceof Denied refusal) {
                return refusal.response();
              }
              if (outcome == null) {
                return Response.status(401)
                    .type(Problem.MEDIA_TYPE)
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                    .entity(UNAUTHORIZED)
                    .build();
              }
              current.set((ApiPrincipal) outcome);
              return null;
            });
  }

  /** A refusal before the key was looked up (too many unknown keys from the caller's address). */
  private record Denied(Response response) {}

  /**
   * Whom failed lookups are charged to: the caller's address (as the HTTP layer reports it, so
   * behind a proxy with {@code quarkus.http.proxy.*} set, the forwarded one); for IPv6 its /64, as
   * one host commonly holds a whole /64.
   */
  public static String client(HttpServerRequest http) {
    if (http == null || http.remoteAddress() == null) {
      return null;
    }
    return addressKey(http.remoteAddress().hostAddress());
  }

  /** Whom failed lookups from {@code host} are charged to (for IPv6, its /64). */
  public static String addressKey(String host) {
    if (host != null && host.indexOf(':') >= 0) {
      try {
        byte[] address = InetAddress.getByName(host).getAddress();
        if (address.length == 16) {
          return HexFormat.of().formatHex(address, 0, 8) + "::/64";
        }
      } catch (UnknownHostException e) {
        return host;
      }
    }
    return host;
  }
}

package io.postwire.security;

import io.postwire.platform.Problem;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
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

  @ServerRequestFilter(preMatching = true, priority = Priorities.AUTHENTICATION)
  public Uni<Response> authenticate(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!(path.equals("/v1") || path.startsWith("/v1/"))) {
      return Uni.createFrom().nullItem();
    }
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    String token = null;
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = header.substring(7).trim();
    }
    return keys.authenticate(token)
        .map(
            principal -> {
              if (principal == null) {
                return Response.status(401)
                    .type(Problem.MEDIA_TYPE)
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                    .entity(
                        Problem.of(
                            401,
                            "unauthorized",
                            "A valid API key is required (Authorization: Bearer <key>)",
                            List.of()))
                    .build();
              }
              current.set(principal);
              return null;
            });
  }
}

package io.postwire.platform;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * JSON in (API.md, "Conventions"): a {@code /v1} request body without a {@code Content-Type} is
 * refused with 415, as one with another type is by the resources' {@code @Consumes}; after
 * authentication, which comes first for everything.
 */
public class ContentTypeFilter {

  private static final Problem MISSING =
      Problem.of(
          415,
          "unsupported_media_type",
          "The request body has no Content-Type; send application/json",
          List.of());

  @ServerRequestFilter(preMatching = true, priority = Priorities.AUTHENTICATION + 1)
  public Response requireContentType(ContainerRequestContext request) {
    if (!request.getUriInfo().getPath().startsWith("/v1/")
        || request.getHeaderString("Content-Type") != null
        || !hasBody(request)) {
      return null;
    }
    return ProblemMapper.respond(MISSING, null);
  }

  private static boolean hasBody(ContainerRequestContext request) {
    String length = request.getHeaderString("Content-Length");
    return (length != null && !length.trim().equals("0"))
        || request.getHeaderString("Transfer-Encoding") != null;
  }
}

package io.postwire.platform;

import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * How the HTTP edge asks whether a request carries valid credentials before it answers for the
 * request itself (a body over the limit is refused with 413 only to a caller with a valid key).
 * Implemented by the security package, so the edge depends on no capability.
 */
public interface RequestCredentials {

  /** True for the paths that need credentials. */
  boolean required(String path);

  /**
   * True when the request's credentials are valid, false when missing or invalid; fails with a
   * {@link Refusal} or a database failure as authentication itself does.
   */
  Uni<Boolean> valid(HttpServerRequest request);

  /** The answer to a request without valid credentials. */
  Problem unauthorized();
}

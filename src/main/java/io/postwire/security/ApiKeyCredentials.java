package io.postwire.security;

import io.postwire.platform.Problem;
import io.postwire.platform.RequestCredentials;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;

/** API keys as the credentials the HTTP edge checks (see {@link RequestCredentials}). */
@ApplicationScoped
public class ApiKeyCredentials implements RequestCredentials {

  private final ApiKeyService keys;

  public ApiKeyCredentials(ApiKeyService keys) {
    this.keys = keys;
  }

  @Override
  public boolean required(String path) {
    return ApiKeyFilter.needsKey(path);
  }

  @Override
  public Uni<Boolean> valid(HttpServerRequest request) {
    String token = ApiKeyFilter.bearerToken(request.getHeader("Authorization"));
    return keys.authenticate(token, ApiKeyFilter.client(request))
        .map(principal -> principal != null);
  }

  @Override
  public Problem unauthorized() {
    return ApiKeyFilter.UNAUTHORIZED;
  }
}

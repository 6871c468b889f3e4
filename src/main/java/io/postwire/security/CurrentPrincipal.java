package io.postwire.security;

import jakarta.enterprise.context.RequestScoped;

/** The authenticated caller of the current request, set by {@link ApiKeyFilter}. */
@RequestScoped
public class CurrentPrincipal {

  private ApiPrincipal principal;

  void set(ApiPrincipal principal) {
    this.principal = principal;
  }

  /** The caller; every {@code /v1} request has one, the filter sees to that. */
  public ApiPrincipal get() {
    if (principal == null) {
      throw new IllegalStateException("No authenticated principal on this request");
    }
    return principal;
  }
}

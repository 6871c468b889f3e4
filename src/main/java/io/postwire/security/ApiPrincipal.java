package io.postwire.security;

import io.postwire.platform.Refusal;
import java.util.Set;
import java.util.UUID;

/**
 * Who is calling: an API key's id, whether it is an admin key, and the sending domains a scoped key
 * may use (API.md, "Scopes").
 */
public record ApiPrincipal(UUID keyId, String name, boolean admin, Set<String> domains) {

  /** The id the bootstrap key acts under (it has no row). */
  public static final UUID BOOTSTRAP_ID = new UUID(0, 0);

  public boolean mayUse(String domain) {
    return admin || domains.contains(domain);
  }

  /** Refuses anything but an admin key with 403 {@code forbidden}. */
  public void requireAdmin() {
    if (!admin) {
      throw Refusal.forbidden("This operation needs an admin API key");
    }
  }
}

package io.postwire.security;

import io.postwire.platform.DatabaseSignals;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Makes a deleted API key stop working on every replica at once: each replica LISTENs on {@link
 * DatabaseSignals#API_KEY_REVOKED} and drops the key from its cache when any replica deletes it.
 * The cache's TTL ({@code postwire.api.key-cache-ttl}) stays as the safety net for a notification
 * lost with a connection; on every (re)connection the whole cache is dropped for the same reason.
 */
@ApplicationScoped
public class KeyRevocations {

  private static final Logger LOG = Logger.getLogger(KeyRevocations.class);

  private final ApiKeyService keys;
  private final DatabaseSignals signals;

  public KeyRevocations(ApiKeyService keys, DatabaseSignals signals) {
    this.keys = keys;
    this.signals = signals;
  }

  void start(@Observes StartupEvent event) {
    if (signals.subscribe(DatabaseSignals.API_KEY_REVOKED, keys::evict, keys::evictAll).isEmpty()) {
      LOG.warn("No reactive datasource URL: deleted API keys expire from caches by TTL only");
    }
  }
}

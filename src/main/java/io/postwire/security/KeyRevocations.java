package io.postwire.security;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Makes a deleted API key stop working on every replica at once: each replica LISTENs on {@link
 * ApiKeyService#REVOKED_CHANNEL} and drops the key from its cache when any replica deletes it. The
 * cache's TTL ({@code postwire.api.key-cache-ttl}) stays as the safety net for a notification lost
 * with a connection; on every (re)connection the whole cache is dropped for the same reason.
 */
@ApplicationScoped
public class KeyRevocations {

  private static final Logger LOG = Logger.getLogger(KeyRevocations.class);

  private final ApiKeyService keys;
  private final Vertx vertx;
  private final Optional<String> reactiveUrl;
  private final Optional<String> username;
  private final Optional<String> password;
  private PgSubscriber subscriber;

  public KeyRevocations(
      ApiKeyService keys,
      Vertx vertx,
      @ConfigProperty(name = "quarkus.datasource.reactive.url") Optional<String> reactiveUrl,
      @ConfigProperty(name = "quarkus.datasource.username") Optional<String> username,
      @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
    this.keys = keys;
    this.vertx = vertx;
    this.reactiveUrl = reactiveUrl;
    this.username = username;
    this.password = password;
  }

  void start(@Observes StartupEvent event) {
    if (reactiveUrl.isEmpty()) {
      LOG.warn("No reactive datasource URL: deleted API keys expire from caches by TTL only");
      return;
    }
    PgConnectOptions options = PgConnectOptions.fromUri(reactiveUrl.get());
    username.ifPresent(options::setUser);
    password.ifPresent(options::setPassword);
    subscriber = PgSubscriber.subscriber(vertx, options);
    subscriber.reconnectPolicy(retries -> 1000L);
    subscriber
        .channel(ApiKeyService.REVOKED_CHANNEL)
        .subscribeHandler(keys::evictAll)
        .handler(keys::evict);
    subscriber
        .connect()
        .subscribe()
        .with(
            v -> LOG.debug("Listening for deleted API keys"),
            e ->
                LOG.warnf(
                    "LISTEN for deleted API keys failed (cached keys expire by TTL): %s",
                    e.toString()));
  }

  void stop(@Observes ShutdownEvent event) {
    if (subscriber != null) {
      subscriber.close().subscribe().with(v -> {}, e -> {});
    }
  }
}

package io.postwire.platform;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgChannel;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * PostgreSQL LISTEN/NOTIFY between the replicas: the channel names, this replica's one LISTEN
 * connection (opened with the first subscription, from the datasource settings, reconnected a
 * second after it is lost), and the NOTIFY statements.
 *
 * <p>A notification lost with a connection is never the only way work is found: the delivery poll
 * and the API key cache's TTL are the safety nets of the two channels.
 */
@ApplicationScoped
public class DatabaseSignals {

  /** Wakes idle delivery workers on every replica; no payload. */
  public static final String DELIVERY = "postwire_delivery";

  /**
   * Makes every replica drop a deleted API key from its cache; the payload is the key's base64
   * SHA-256 hash, or {@code ApiKeyService.EVERY_KEY} to drop them all.
   */
  public static final String API_KEY_REVOKED = "postwire_api_key_revoked";

  private static final Logger LOG = Logger.getLogger(DatabaseSignals.class);

  private static final long RECONNECT_DELAY_MS = 1000L;

  private final Vertx vertx;
  private final Pool pool;
  private final Optional<String> reactiveUrl;
  private final Optional<String> username;
  private final Optional<String> password;
  private PgSubscriber subscriber;

  public DatabaseSignals(Vertx vertx, Pool pool, DatasourceConfig datasource) {
    this.vertx = vertx;
    this.pool = pool;
    this.reactiveUrl = datasource.reactive().url();
    this.username = datasource.username();
    this.password = datasource.password();
  }

  /** A subscription to one channel; cancelling it stops its handler (UNLISTEN when the last). */
  public interface Subscription {
    void cancel();
  }

  /**
   * Calls {@code handler} with the payload of every notification on {@code channel}, and {@code
   * listening} each time the LISTEN is (re)established (notifications may have been missed before
   * it). Empty when the database URL is not known here: nothing can be heard then.
   */
  public synchronized Optional<Subscription> subscribe(
      String channel, Consumer<String> handler, Runnable listening) {
    if (reactiveUrl.isEmpty()) {
      return Optional.empty();
    }
    boolean first = subscriber == null;
    if (first) {
      PgConnectOptions options = PgConnectOptions.fromUri(reactiveUrl.get());
      username.ifPresent(options::setUser);
      password.ifPresent(options::setPassword);
      subscriber = PgSubscriber.subscriber(vertx, options);
      subscriber.reconnectPolicy(retries -> RECONNECT_DELAY_MS);
    }
    PgChannel subscribed = subscriber.channel(channel);
    subscribed.subscribeHandler(listening).handler(handler);
    if (first) {
      subscriber
          .connect()
          .subscribe()
          .with(
              v -> LOG.debug("LISTEN connection open"),
              e ->
                  LOG.warnf(
                      "LISTEN connection failed (the delivery poll still runs, cached API keys"
                          + " expire by TTL): %s",
                      e.toString()));
    }
    return Optional.of(() -> subscribed.getDelegate().handler(null));
  }

  /**
   * Sends an empty notification on {@code channel} in its own transaction, for work that is already
   * committed. Its commit does not wait for a WAL flush: losing it in a crash loses nothing, the
   * safety net finds the work.
   */
  public Uni<Void> notifyCommitted(String channel) {
    return pool.query(
            "begin; set local synchronous_commit = off; select "
                + notifyCall(channel, "''")
                + "; commit")
        .execute()
        .replaceWithVoid();
  }

  /**
   * The {@code pg_notify} call for use inside another statement, so the notification is sent when
   * that statement's transaction commits, never before it and never without it. {@code payload} is
   * an SQL expression.
   */
  public static String notifyCall(String channel, String payload) {
    return "pg_notify('" + channel + "', " + payload + ")";
  }

  void stop(@Observes ShutdownEvent event) {
    PgSubscriber open;
    synchronized (this) {
      open = subscriber;
    }
    if (open != null) {
      open.close().subscribe().with(v -> {}, e -> {});
    }
  }
}

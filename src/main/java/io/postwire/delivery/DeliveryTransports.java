package io.postwire.delivery;

import io.postwire.delivery.smtp.SmtpReply;
import io.postwire.delivery.smtp.SmtpResult;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The ways out of this replica, chosen by {@code postwire.delivery.mode}: the relay transport, the
 * MX route, and the LISTEN connection that wakes the pipeline.
 */
@ApplicationScoped
public class DeliveryTransports {

  private final DeliveryConfig config;
  private final RelayConfig relay;
  private final Vertx vertx;
  private final Optional<String> reactiveUrl;
  private final Optional<String> username;
  private final Optional<String> password;

  public DeliveryTransports(
      DeliveryConfig config,
      RelayConfig relay,
      Vertx vertx,
      @ConfigProperty(name = "quarkus.datasource.reactive.url") Optional<String> reactiveUrl,
      @ConfigProperty(name = "quarkus.datasource.username") Optional<String> username,
      @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
    this.config = config;
    this.relay = relay;
    this.vertx = vertx;
    this.reactiveUrl = reactiveUrl;
    this.username = username;
    this.password = password;
  }

  /** Fails the start with a clear message when the mode's settings are missing. */
  void validate() {
    if (config.mode() == DeliveryConfig.Mode.MX && config.ehloName().isEmpty()) {
      throw new IllegalStateException(
          "postwire.delivery.ehlo-name (POSTWIRE_DELIVERY_EHLO_NAME) is required in mx mode");
    }
    if (config.mode() == DeliveryConfig.Mode.RELAY && relay.host().isEmpty()) {
      throw new IllegalStateException(
          "postwire.relay.host (POSTWIRE_RELAY_HOST) is required in relay mode");
    }
  }

  /** A LISTEN connection to the same database, or null when the URL is not known here. */
  PgSubscriber subscriber() {
    if (reactiveUrl.isEmpty()) {
      return null;
    }
    PgConnectOptions options = PgConnectOptions.fromUri(reactiveUrl.get());
    username.ifPresent(options::setUser);
    password.ifPresent(options::setPassword);
    return PgSubscriber.subscriber(vertx, options);
  }

  Uni<SmtpResult> relay(String mailFrom, List<String> recipients, byte[] message) {
    throw new UnsupportedOperationException("relay transport not wired yet");
  }

  Uni<SmtpResult> mx(String domain, String mailFrom, List<String> recipients, byte[] message) {
    throw new UnsupportedOperationException("mx transport not wired yet");
  }

  Optional<Duration> retryHint(SmtpReply reply) {
    return Optional.empty();
  }
}

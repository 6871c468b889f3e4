package io.postwire.delivery;

import io.postwire.delivery.smtp.DirectSmtpTransport;
import io.postwire.delivery.smtp.RelayMailClientTransport;
import io.postwire.delivery.smtp.RelaySettings;
import io.postwire.delivery.smtp.SmtpClientOptions;
import io.postwire.delivery.smtp.SmtpReply;
import io.postwire.delivery.smtp.SmtpResult;
import io.postwire.delivery.smtp.SmtpTransaction;
import io.postwire.dns.Dns;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
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
  private final Instance<Dns> dns;
  private volatile RelayMailClientTransport relayTransport;
  private volatile DirectSmtpTransport direct;
  private volatile MxRouter mxRouter;

  public DeliveryTransports(
      DeliveryConfig config,
      RelayConfig relay,
      Vertx vertx,
      @ConfigProperty(name = "quarkus.datasource.reactive.url") Optional<String> reactiveUrl,
      @ConfigProperty(name = "quarkus.datasource.username") Optional<String> username,
      @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password,
      Instance<Dns> dns) {
    this.dns = dns;
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
    RelayMailClientTransport transport = relayTransport;
    if (transport == null) {
      synchronized (this) {
        if (relayTransport == null) {
          RelaySettings settings =
              new RelaySettings(
                  relay.host().orElseThrow(),
                  relay.port(),
                  relay.username().orElse(null),
                  relay.password().orElse(null),
                  RelaySettings.Starttls.valueOf(relay.starttls().trim().toUpperCase(Locale.ROOT)),
                  config.ehloName().orElse("localhost"));
          relayTransport = new RelayMailClientTransport(vertx.getDelegate(), settings, options());
        }
        transport = relayTransport;
      }
    }
    return transport.send(
        new SmtpTransaction(
            relay.host().orElseThrow(),
            null,
            relay.port(),
            SmtpTransaction.TlsPolicy.OPPORTUNISTIC,
            mailFrom,
            recipients,
            message));
  }

  Uni<SmtpResult> mx(String domain, String mailFrom, List<String> recipients, byte[] message) {
    MxRouter router = mxRouter;
    if (router == null) {
      synchronized (this) {
        if (mxRouter == null) {
          direct = new DirectSmtpTransport(vertx.getDelegate(), options());
          mxRouter =
              new MxRouter(
                  dns.get(),
                  direct,
                  config.smtpPort(),
                  new HostBackoff(
                      config.hostBackoff().initial(),
                      config.hostBackoff().max(),
                      java.time.Clock.systemUTC()),
                  TrafficShaping.of(config.shaping(), config.idleTimeout()));
        }
        router = mxRouter;
      }
    }
    return router.deliver(domain, mailFrom, recipients, message);
  }

  private SmtpClientOptions options() {
    DeliveryConfig.Limits limits = config.shaping().defaults();
    SmtpClientOptions options =
        SmtpClientOptions.defaults(config.ehloName().orElse("localhost"))
            .withIdleTimeout(limits.idleTimeout().orElse(config.idleTimeout()));
    options =
        options.withPool(
            limits.maxConnections(),
            options.maxQueuedPerHost(),
            limits.maxMessagesPerConnection(),
            config.shaping().maxPools());
    return config.commandTimeout().map(options::withTimeouts).orElse(options);
  }

  Optional<Duration> retryHint(SmtpReply reply) {
    return reply.retryAfter();
  }

  void close(@Observes ShutdownEvent event) {
    if (relayTransport != null) {
      relayTransport.close();
    }
    if (direct != null) {
      direct.close();
    }
  }
}

package io.postwire.delivery;

import io.postwire.delivery.smtp.DirectSmtpTransport;
import io.postwire.delivery.smtp.RelayMailClientTransport;
import io.postwire.delivery.smtp.RelaySettings;
import io.postwire.delivery.smtp.SmtpClientOptions;
import io.postwire.delivery.smtp.SmtpReply;
import io.postwire.delivery.smtp.SmtpResult;
import io.postwire.dns.Dns;
import io.postwire.egress.EgressPolicy;
import io.postwire.mtasts.MtaStsConfig;
import io.postwire.mtasts.MtaStsPolicies;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The ways out of this replica, chosen by {@code postwire.delivery.mode}: the relay transport, the
 * MX route.
 */
@ApplicationScoped
public class DeliveryTransports {

  private final DeliveryConfig config;
  private final RelayConfig relay;
  private final Vertx vertx;
  private final Instance<Dns> dns;
  private final EgressPolicy egress;
  private final MtaStsConfig mtaSts;
  private final Instance<MtaStsPolicies> mtaStsPolicies;
  private volatile RelayMailClientTransport relayTransport;
  private volatile DirectSmtpTransport direct;
  private volatile MxRouter mxRouter;

  public DeliveryTransports(
      DeliveryConfig config,
      RelayConfig relay,
      Vertx vertx,
      Instance<Dns> dns,
      EgressPolicy egress,
      MtaStsConfig mtaSts,
      Instance<MtaStsPolicies> mtaStsPolicies) {
    this.dns = dns;
    this.mtaSts = mtaSts;
    this.mtaStsPolicies = mtaStsPolicies;
    this.egress = egress;
    this.config = config;
    this.relay = relay;
    this.vertx = vertx;
  }

  /** Fails the start with a clear message when the mode's settings are missing. */
  void validate() {
    checkBudgets(config);
    if (config.mode() == DeliveryConfig.Mode.MX && config.ehloName().isEmpty()) {
      throw new IllegalStateException(
          "postwire.delivery.ehlo-name (POSTWIRE_DELIVERY_EHLO_NAME) is required in mx mode");
    }
    if (config.mode() == DeliveryConfig.Mode.MX) {
      // built here, on the start-up thread: it reads the trust store file
      router();
    }
    if (config.mode() == DeliveryConfig.Mode.RELAY && relay.host().isEmpty()) {
      throw new IllegalStateException(
          "postwire.relay.host (POSTWIRE_RELAY_HOST) is required in relay mode");
    }
    if (config.mode() == DeliveryConfig.Mode.RELAY) {
      // built here, on the start-up thread: it reads the trust store file
      relayTransport();
    }
  }

  /** Fails with every delivery budget that cannot work, each by its setting and variable. */
  static void checkBudgets(DeliveryConfig config) {
    List<String> problems = new ArrayList<>();
    if (config.claimMaxBytes() < 1) {
      problems.add(
          "postwire.delivery.claim-max-bytes (POSTWIRE_DELIVERY_CLAIM_MAX_BYTES) must be at"
              + " least 1, got: "
              + config.claimMaxBytes());
    }
    if (!positive(config.attemptTimeout())) {
      problems.add(
          "postwire.delivery.attempt-timeout (POSTWIRE_DELIVERY_ATTEMPT_TIMEOUT) must be"
              + " positive, got: "
              + config.attemptTimeout());
    }
    if (!positive(config.connectionWaitTimeout())) {
      problems.add(
          "postwire.delivery.connection-wait-timeout (POSTWIRE_DELIVERY_CONNECTION_WAIT_TIMEOUT)"
              + " must be positive, got: "
              + config.connectionWaitTimeout());
    }
    if (config.maxMxHosts() < 1) {
      problems.add(
          "postwire.delivery.max-mx-hosts (POSTWIRE_DELIVERY_MAX_MX_HOSTS) must be at least 1,"
              + " got: "
              + config.maxMxHosts());
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException(String.join("; ", problems));
    }
  }

  private static boolean positive(Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }

  Uni<SmtpResult> relay(String mailFrom, List<String> recipients, byte[] head, byte[] message) {
    return relayTransport().send(mailFrom, recipients, head, message);
  }

  private RelayMailClientTransport relayTransport() {
    RelayMailClientTransport transport = relayTransport;
    if (transport == null) {
      synchronized (this) {
        if (relayTransport == null) {
          relayTransport =
              new RelayMailClientTransport(vertx.getDelegate(), relaySettings(), options());
        }
        transport = relayTransport;
      }
    }
    return transport;
  }

  /** The relay settings; fails with the setting's name when they cannot work. */
  private RelaySettings relaySettings() {
    if (relay.starttls() == RelaySettings.Starttls.DISABLED
        && relay.username().isPresent()
        && !relay.allowPlaintextAuth()) {
      throw new IllegalStateException(
          "postwire.relay.starttls=disabled with postwire.relay.username would send the relay"
              + " password in clear: enable STARTTLS, or set postwire.relay.allow-plaintext-auth"
              + " (POSTWIRE_RELAY_ALLOW_PLAINTEXT_AUTH) to true");
    }
    return new RelaySettings(
        relay.host().orElseThrow(),
        relay.port(),
        relay.username().orElse(null),
        relay.password().orElse(null),
        relay.starttls(),
        config.ehloName().orElse("localhost"),
        relay.allowPlaintextAuth(),
        relay.verifyCertificate(),
        relay
            .trustStore()
            .map(path -> trustStore("postwire.relay.trust-store", path, relay.trustStorePassword()))
            .orElse(null));
  }

  Uni<SmtpResult> mx(
      String domain, String mailFrom, List<String> recipients, byte[] head, byte[] message) {
    return router().deliver(domain, mailFrom, recipients, head, message);
  }

  private MxRouter router() {
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
                      Clock.systemUTC()),
                  TrafficShaping.of(config.shaping(), config.idleTimeout()),
                  mtaSts.enabled() ? mtaStsPolicies.get() : null,
                  egress,
                  config.maxMxHosts());
        }
        router = mxRouter;
      }
    }
    return router;
  }

  private SmtpClientOptions options() {
    DeliveryConfig.Limits limits = config.shaping().defaults();
    SmtpClientOptions options =
        SmtpClientOptions.defaults(config.ehloName().orElse("localhost"))
            .withIdleTimeout(limits.idleTimeout().orElse(config.idleTimeout()))
            .withQueueTimeout(config.connectionWaitTimeout());
    options =
        options.withPool(
            limits.maxConnections(),
            options.maxQueuedPerHost(),
            limits.maxMessagesPerConnection(),
            config.shaping().maxPools());
    if (config.mode() == DeliveryConfig.Mode.MX && mtaSts.trustStore().isPresent()) {
      options =
          options.withTrustStore(
              trustStore(
                  "postwire.mta-sts.trust-store",
                  mtaSts.trustStore().get(),
                  mtaSts.trustStorePassword()));
    }
    return config.commandTimeout().map(options::withTimeouts).orElse(options);
  }

  /** Loads a PEM or PKCS#12 file of trust anchors (at start-up, off the event loop). */
  static KeyStore trustStore(String setting, String path, Optional<String> password) {
    try (InputStream in = Files.newInputStream(Path.of(path))) {
      String lower = path.toLowerCase(Locale.ROOT);
      if (lower.endsWith(".p12") || lower.endsWith(".pfx")) {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(in, password.orElse("").toCharArray());
        return store;
      }
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("anchor-" + i++, c);
      }
      return store;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(setting + " " + path + " is unusable: " + e.getMessage(), e);
    }
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

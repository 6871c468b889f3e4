package io.postwire.submission;

import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.message.MessageConfig;
import io.postwire.smtp.server.SmtpServer;
import io.postwire.smtp.server.SmtpSettings;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.net.PemKeyCertOptions;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Starts the SMTP submission ports when configured ({@code postwire.submission.port} with STARTTLS,
 * {@code .implicit-tls-port} with TLS on connect) and stops them on shutdown.
 */
@ApplicationScoped
public class SubmissionListener {

  private static final Logger LOG = Logger.getLogger(SubmissionListener.class);

  private final Vertx vertx;
  private final SubmissionConfig config;
  private final MessageConfig messages;
  private final SubmissionHandler handler;
  private final MeterRegistry registry;
  private final List<SmtpServer> servers = new ArrayList<>();

  public SubmissionListener(
      Vertx vertx,
      SubmissionConfig config,
      MessageConfig messages,
      SubmissionHandler handler,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.config = config;
    this.messages = messages;
    this.handler = handler;
    this.registry = registry;
  }

  void start(@Observes @Priority(5100) StartupEvent event) throws Exception {
    if (config.port().isEmpty() && config.implicitTlsPort().isEmpty()) {
      return;
    }
    PemKeyCertOptions tls = tls();
    if (config.implicitTlsPort().isPresent() && tls == null) {
      throw new IllegalStateException(
          "postwire.submission.implicit-tls-port needs postwire.submission.tls.cert and .key");
    }
    SmtpSettings settings = settings();
    AtomicInteger open = new AtomicInteger();
    Map<String, AtomicInteger> perClient = SmtpServer.newClientCounts();
    if (config.port().isPresent()) {
      servers.add(server(settings, config.port().getAsInt(), false, tls, open, perClient));
    }
    if (config.implicitTlsPort().isPresent()) {
      servers.add(
          server(settings, config.implicitTlsPort().getAsInt(), true, tls, open, perClient));
    }
    for (SmtpServer server : servers) {
      server.start().toCompletionStage().toCompletableFuture().get();
      LOG.infof("SMTP submission listening on %s:%d", config.host(), server.port());
    }
  }

  void stop(@Observes @Priority(1) ShutdownEvent event) throws Exception {
    for (SmtpServer server : servers) {
      server.stop().toCompletionStage().toCompletableFuture().get();
    }
    servers.clear();
  }

  /** The ports actually listened on (for tests that ask for port 0). */
  public List<Integer> ports() {
    return servers.stream().map(SmtpServer::port).toList();
  }

  SmtpSettings settings() {
    return new SmtpSettings(
        config.hostname(),
        config.maxSize().orElse(messages.maxSize()),
        Math.min(config.maxRecipients(), messages.maxRecipients()),
        config.maxErrors(),
        config.maxCommands(),
        config.idleTimeout(),
        positive(config.dataTimeout()),
        true,
        config.allowPlaintextAuth());
  }

  private static Duration positive(Duration d) {
    return d.isNegative() || d.isZero() ? Duration.ofMinutes(10) : d;
  }

  private PemKeyCertOptions tls() {
    if (config.tls().cert().isEmpty() && config.tls().key().isEmpty()) {
      return null;
    }
    if (config.tls().cert().isEmpty() || config.tls().key().isEmpty()) {
      throw new IllegalStateException(
          "postwire.submission.tls.cert and postwire.submission.tls.key go together");
    }
    return new PemKeyCertOptions()
        .setCertPath(config.tls().cert().get())
        .setKeyPath(config.tls().key().get());
  }

  private SmtpServer server(
      SmtpSettings settings,
      int port,
      boolean implicitTls,
      PemKeyCertOptions tls,
      AtomicInteger open,
      Map<String, AtomicInteger> perClient) {
    return new SmtpServer(
        vertx,
        settings,
        handler,
        new SmtpServer.Listen(
            config.host(),
            port,
            implicitTls,
            tls,
            config.maxConnections(),
            config.maxConnectionsPerIp()),
        registry,
        "postwire.submission",
        open,
        perClient);
  }
}

package io.postwire.inbound;

import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Starts the inbound listener when {@code postwire.inbound.port} is set (STARTTLS when {@code
 * postwire.inbound.tls.cert} and {@code .key} are) and stops it on shutdown. It runs on the same
 * protocol engine as SMTP submission, without AUTH: what it accepts is {@link InboundHandler}'s.
 */
@ApplicationScoped
public class InboundListener {

  private static final Logger LOG = Logger.getLogger(InboundListener.class);

  private final Vertx vertx;
  private final InboundConfig config;
  private final InboundHandler handler;
  private final MeterRegistry registry;
  private SmtpServer server;

  public InboundListener(
      Vertx vertx, InboundConfig config, InboundHandler handler, MeterRegistry registry) {
    this.vertx = vertx;
    this.config = config;
    this.handler = handler;
    this.registry = registry;
  }

  void start(@Observes @Priority(5100) StartupEvent event) throws Exception {
    if (config.port().isEmpty()) {
      return;
    }
    if (config.domain().isEmpty()) {
      throw new IllegalStateException(
          "postwire.inbound.port needs postwire.inbound.domain (the default return-path domain)");
    }
    server =
        new SmtpServer(
            vertx,
            settings(),
            handler,
            new SmtpServer.Listen(
                config.host(),
                config.port().getAsInt(),
                false,
                tls(),
                config.maxConnections(),
                config.maxConnectionsPerIp()),
            registry,
            "postwire.inbound",
            new AtomicInteger(),
            SmtpServer.newClientCounts());
    server.start().toCompletionStage().toCompletableFuture().get();
    LOG.infof("Inbound SMTP listening on %s:%d", config.host(), server.port());
  }

  void stop(@Observes @Priority(1) ShutdownEvent event) throws Exception {
    if (server != null) {
      server.stop().toCompletionStage().toCompletableFuture().get();
      server = null;
    }
  }

  /** The port actually listened on (for tests that ask for port 0); -1 when off. */
  public int port() {
    return server == null ? -1 : server.port();
  }

  SmtpSettings settings() {
    return new SmtpSettings(
        config.hostname(),
        config.maxSize(),
        config.maxRecipients(),
        config.maxErrors(),
        config.maxCommands(),
        config.idleTimeout(),
        positive(config.dataTimeout()),
        false,
        false,
        false);
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
          "postwire.inbound.tls.cert and postwire.inbound.tls.key go together");
    }
    return new PemKeyCertOptions()
        .setCertPath(config.tls().cert().get())
        .setKeyPath(config.tls().key().get());
  }
}

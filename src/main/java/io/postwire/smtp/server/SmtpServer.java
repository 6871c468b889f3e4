package io.postwire.smtp.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A non-blocking SMTP server on a Vert.x {@link NetServer}: accepts connections within the
 * connection limits and runs an {@link SmtpSession} on each. Listeners (submission, later inbound)
 * differ only in their {@link SmtpHandler} and settings.
 *
 * <p>Metrics, under {@code metricPrefix}: {@code .connections.open} (a gauge), {@code .connections}
 * (a counter: Prometheus {@code _connections_total}; the gauge cannot share its name) and {@code
 * .sessions{outcome}}.
 */
public final class SmtpServer {

  /** Where and how to listen. */
  public record Listen(
      String host,
      int port,
      boolean implicitTls,
      PemKeyCertOptions tls,
      int maxConnections,
      int maxConnectionsPerClient) {}

  private final Vertx vertx;
  private final SmtpSettings settings;
  private final SmtpHandler handler;
  private final Listen listen;
  private final AtomicInteger open;
  private final Map<String, AtomicInteger> perClient;
  private final Counter accepted;
  private final MeterRegistry registry;
  private final String metricPrefix;
  private NetServer server;

  /**
   * @param open the count of open connections, shared by the servers of one listener (its gauge)
   * @param perClient open connections by client address, shared likewise
   */
  public SmtpServer(
      Vertx vertx,
      SmtpSettings settings,
      SmtpHandler handler,
      Listen listen,
      MeterRegistry registry,
      String metricPrefix,
      AtomicInteger open,
      Map<String, AtomicInteger> perClient) {
    this.vertx = vertx;
    this.settings = settings;
    this.handler = handler;
    this.listen = listen;
    this.registry = registry;
    this.metricPrefix = metricPrefix;
    this.open = open;
    this.perClient = perClient;
    Gauge.builder(metricPrefix + ".connections.open", open, AtomicInteger::get)
        .description("Open SMTP connections")
        .register(registry);
    this.accepted =
        Counter.builder(metricPrefix + ".connections")
            .description("SMTP connections accepted")
            .register(registry);
  }

  /** Counts open connections per client and in all, for a listener's servers together. */
  public static Map<String, AtomicInteger> newClientCounts() {
    return new ConcurrentHashMap<>();
  }

  public Future<NetServer> start() {
    NetServerOptions options =
        new NetServerOptions().setHost(listen.host()).setPort(listen.port()).setTcpNoDelay(true);
    if (listen.tls() != null) {
      options.setKeyCertOptions(listen.tls()).setSsl(listen.implicitTls());
    }
    server = vertx.createNetServer(options).connectHandler(this::connected);
    return server.listen();
  }

  public Future<Void> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  /** The port listened on (the actual one when 0 was asked). */
  public int port() {
    return server.actualPort();
  }

  private void connected(NetSocket socket) {
    accepted.increment();
    String client = socket.remoteAddress() == null ? "" : socket.remoteAddress().hostAddress();
    AtomicInteger fromClient = perClient.computeIfAbsent(client, c -> new AtomicInteger());
    int total = open.incrementAndGet();
    int mine = fromClient.incrementAndGet();
    Runnable release =
        () -> {
          open.decrementAndGet();
          if (fromClient.decrementAndGet() <= 0) {
            perClient.remove(client, fromClient);
          }
        };
    if (total > listen.maxConnections()) {
      socket.closeHandler(v -> release.run());
      sessionEnded("refused_busy");
      SmtpSession.refuse(socket, settings.hostname(), "Too many connections, try again later");
      return;
    }
    if (mine > listen.maxConnectionsPerClient()) {
      socket.closeHandler(v -> release.run());
      sessionEnded("refused_client_limit");
      SmtpSession.refuse(
          socket, settings.hostname(), "Too many connections from your address, try again later");
      return;
    }
    new SmtpSession(
            vertx,
            socket,
            settings,
            handler,
            listen.implicitTls(),
            listen.tls() != null && !listen.implicitTls(),
            client,
            outcome -> {
              release.run();
              sessionEnded(outcome);
            })
        .start();
  }

  private void sessionEnded(String outcome) {
    Counter.builder(metricPrefix + ".sessions")
        .description("SMTP sessions by how they ended")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }
}

package io.postwire.delivery.smtp;

import java.security.KeyStore;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Settings of {@link DirectSmtpTransport}: our EHLO name, per-command timeouts (RFC 5321 §4.5.3.2),
 * connection pool limits and the trust anchors for verified TLS.
 *
 * @param ehloName the name we announce in EHLO/HELO (RFC 5321 §4.1.1.1); required
 * @param connectTimeout TCP connect timeout
 * @param greetingTimeout wait for the 220 greeting (RFC 5321 §4.5.3.2.1: 5 minutes)
 * @param commandTimeout EHLO, HELO, STARTTLS, AUTH, MAIL, RSET, QUIT (§4.5.3.2.2: 5 minutes)
 * @param rcptTimeout each RCPT reply (§4.5.3.2.3: 5 minutes)
 * @param dataInitTimeout the 354 reply to DATA (§4.5.3.2.4: 2 minutes)
 * @param dataBlockTimeout each block of message data to be taken by the peer (§4.5.3.2.5: 3
 *     minutes)
 * @param dataEndTimeout the reply to the final "." (§4.5.3.2.6: 10 minutes)
 * @param idleTimeout how long a pooled connection may sit idle before we QUIT it
 * @param maxConnectionsPerHost connections open at once to one host name, and to one IP address
 *     whatever host names lead to it
 * @param maxQueuedPerHost transactions waiting for a connection to one host name; more are answered
 *     at once with a transient failure
 * @param maxMessagesPerConnection messages sent over one connection before it is closed
 * @param maxHosts per-host pools kept; the least recently used idle pool is closed beyond it
 * @param trustStore trust anchors for {@code REQUIRED_VERIFIED}; {@code null} = the JDK's default
 * @param username AUTH user (RFC 4954, relay mode), or {@code null} for no AUTH
 * @param password AUTH password, or {@code null}
 * @param allowPlaintextAuth whether AUTH may be sent over a connection without TLS; when false a
 *     session that would need it ends before AUTH with a transient outcome for every recipient
 * @param queueTimeout how long a transaction waits for a connection (its host's or its address's
 *     limit reached) before every recipient gets a transient failure
 */
public record SmtpClientOptions(
    String ehloName,
    Duration connectTimeout,
    Duration greetingTimeout,
    Duration commandTimeout,
    Duration rcptTimeout,
    Duration dataInitTimeout,
    Duration dataBlockTimeout,
    Duration dataEndTimeout,
    Duration idleTimeout,
    int maxConnectionsPerHost,
    int maxQueuedPerHost,
    int maxMessagesPerConnection,
    int maxHosts,
    KeyStore trustStore,
    String username,
    String password,
    boolean allowPlaintextAuth,
    Duration queueTimeout) {

  /** Validates the options (fail fast at start-up). */
  public SmtpClientOptions {
    if (ehloName == null || ehloName.isBlank() || ehloName.matches(".*[\\s<>].*")) {
      throw new IllegalArgumentException("ehloName must be a host name, got: " + ehloName);
    }
    for (Duration d :
        new Duration[] {
          connectTimeout,
          greetingTimeout,
          commandTimeout,
          rcptTimeout,
          dataInitTimeout,
          dataBlockTimeout,
          dataEndTimeout,
          idleTimeout,
          queueTimeout
        }) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("timeouts must be positive");
      }
    }
    if (maxConnectionsPerHost < 1
        || maxQueuedPerHost < 0
        || maxMessagesPerConnection < 1
        || maxHosts < 1) {
      throw new IllegalArgumentException("pool limits must be positive");
    }
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException("username and password go together");
    }
  }

  /**
   * RFC 5321 §4.5.3.2 timeouts, 30 s connect, 60 s idle, 10 connections and 1000 waiting
   * transactions per host, 100 messages per connection, 1000 host pools, the JDK trust store, no
   * AUTH.
   */
  public static SmtpClientOptions defaults(String ehloName) {
    return new SmtpClientOptions(
        ehloName,
        Duration.ofSeconds(30),
        Duration.ofMinutes(5),
        Duration.ofMinutes(5),
        Duration.ofMinutes(5),
        Duration.ofMinutes(2),
        Duration.ofMinutes(3),
        Duration.ofMinutes(10),
        Duration.ofSeconds(60),
        10,
        1000,
        100,
        1000,
        null,
        null,
        null,
        false,
        Duration.ofMinutes(2));
  }

  /** The same options with every command and connect timeout set to {@code timeout}. */
  public SmtpClientOptions withTimeouts(Duration timeout) {
    return with(
        o -> {
          o.connectTimeout = timeout;
          o.greetingTimeout = timeout;
          o.commandTimeout = timeout;
          o.rcptTimeout = timeout;
          o.dataInitTimeout = timeout;
          o.dataBlockTimeout = timeout;
          o.dataEndTimeout = timeout;
        });
  }

  /** The same options with another idle timeout. */
  public SmtpClientOptions withIdleTimeout(Duration idle) {
    return with(o -> o.idleTimeout = idle);
  }

  /** The same options with other pool limits. */
  public SmtpClientOptions withPool(
      int connectionsPerHost, int queuedPerHost, int messagesPerConnection, int hosts) {
    return with(
        o -> {
          o.maxConnectionsPerHost = connectionsPerHost;
          o.maxQueuedPerHost = queuedPerHost;
          o.maxMessagesPerConnection = messagesPerConnection;
          o.maxHosts = hosts;
        });
  }

  /** The same options trusting only the anchors in {@code store} for verified TLS. */
  public SmtpClientOptions withTrustStore(KeyStore store) {
    return with(o -> o.trustStore = store);
  }

  /** The same options authenticating with AUTH PLAIN or LOGIN (RFC 4954) after STARTTLS. */
  public SmtpClientOptions withCredentials(String user, String secret) {
    Objects.requireNonNull(user);
    Objects.requireNonNull(secret);
    return with(
        o -> {
          o.username = user;
          o.password = secret;
        });
  }

  /** The same options, allowing AUTH over a connection without TLS or not. */
  public SmtpClientOptions withPlaintextAuth(boolean allow) {
    return with(o -> o.allowPlaintextAuth = allow);
  }

  /** The same options with another wait for a connection. */
  public SmtpClientOptions withQueueTimeout(Duration timeout) {
    return with(o -> o.queueTimeout = timeout);
  }

  /** A copy of these options with {@code change} made to it, validated as any options are. */
  SmtpClientOptions with(Consumer<Builder> change) {
    Builder copy = new Builder(this);
    change.accept(copy);
    return copy.build();
  }

  /** The components of {@link SmtpClientOptions}, to change before {@link #build()}. */
  static final class Builder {
    String ehloName;
    Duration connectTimeout;
    Duration greetingTimeout;
    Duration commandTimeout;
    Duration rcptTimeout;
    Duration dataInitTimeout;
    Duration dataBlockTimeout;
    Duration dataEndTimeout;
    Duration idleTimeout;
    int maxConnectionsPerHost;
    int maxQueuedPerHost;
    int maxMessagesPerConnection;
    int maxHosts;
    KeyStore trustStore;
    String username;
    String password;
    boolean allowPlaintextAuth;
    Duration queueTimeout;

    Builder(SmtpClientOptions from) {
      ehloName = from.ehloName;
      connectTimeout = from.connectTimeout;
      greetingTimeout = from.greetingTimeout;
      commandTimeout = from.commandTimeout;
      rcptTimeout = from.rcptTimeout;
      dataInitTimeout = from.dataInitTimeout;
      dataBlockTimeout = from.dataBlockTimeout;
      dataEndTimeout = from.dataEndTimeout;
      idleTimeout = from.idleTimeout;
      maxConnectionsPerHost = from.maxConnectionsPerHost;
      maxQueuedPerHost = from.maxQueuedPerHost;
      maxMessagesPerConnection = from.maxMessagesPerConnection;
      maxHosts = from.maxHosts;
      trustStore = from.trustStore;
      username = from.username;
      password = from.password;
      allowPlaintextAuth = from.allowPlaintextAuth;
      queueTimeout = from.queueTimeout;
    }

    SmtpClientOptions build() {
      return new SmtpClientOptions(
          ehloName,
          connectTimeout,
          greetingTimeout,
          commandTimeout,
          rcptTimeout,
          dataInitTimeout,
          dataBlockTimeout,
          dataEndTimeout,
          idleTimeout,
          maxConnectionsPerHost,
          maxQueuedPerHost,
          maxMessagesPerConnection,
          maxHosts,
          trustStore,
          username,
          password,
          allowPlaintextAuth,
          queueTimeout);
    }
  }

  @Override
  public String toString() {
    // never print the password
    return "SmtpClientOptions[ehloName=" + ehloName + ", user=" + username + "]";
  }
}

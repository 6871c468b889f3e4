package io.postwire.submission;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/** SMTP submission ({@code postwire.submission.*}, API.md "SMTP submission"). */
@ConfigMapping(prefix = "postwire.submission")
public interface SubmissionConfig {

  /** The submission port (STARTTLS when TLS is configured), e.g. 587; off when unset. */
  OptionalInt port();

  /** The port with TLS from the first octet (RFC 8314), e.g. 465; off when unset. */
  OptionalInt implicitTlsPort();

  /** The address both ports listen on. */
  @WithDefault("0.0.0.0")
  String host();

  /**
   * The name in the greeting; {@code postwire.delivery.ehlo-name} when unset, then {@code
   * postwire}.
   */
  @WithDefault("${postwire.delivery.ehlo-name:postwire}")
  String hostname();

  Tls tls();

  /** The certificate and key (PEM files) for STARTTLS and implicit TLS. */
  interface Tls {
    Optional<String> cert();

    Optional<String> key();
  }

  /** Whether AUTH is offered before TLS (for a loopback or otherwise protected network only). */
  @WithDefault("false")
  boolean allowPlaintextAuth();

  /** Largest message in octets; {@code postwire.message.max-size} when unset. */
  OptionalInt maxSize();

  /** Most recipients of one message (at most {@code postwire.message.max-recipients}). */
  @WithDefault("50")
  int maxRecipients();

  /** Open connections in all; beyond it a connection is refused with 421 4.7.0. */
  @WithDefault("1000")
  int maxConnections();

  /** Open connections from one client address; beyond it 421 4.7.0. */
  @WithDefault("20")
  int maxConnectionsPerIp();

  /** Bad commands a session may send before it is closed with 421 4.7.0. */
  @WithDefault("20")
  int maxErrors();

  /**
   * Commands outside mail transactions (NOOP, RSET, EHLO, …) a session may send between two
   * accepted messages.
   */
  @WithDefault("100")
  int maxCommands();

  /** How long a client may stay silent before 421 4.4.2 and close. */
  @WithDefault("5m")
  Duration idleTimeout();

  /** How long the DATA section of one message may take. */
  @WithDefault("10m")
  Duration dataTimeout();
}

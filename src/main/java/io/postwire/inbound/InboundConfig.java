package io.postwire.inbound;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The inbound listener for bounces, complaints and unsubscribes ({@code postwire.inbound.*}, API.md
 * "Inbound mail"). Its limits are those of SMTP submission, with their own names.
 */
@ConfigMapping(prefix = "postwire.inbound")
public interface InboundConfig {

  /** The port the inbound listener takes mail on (25 in production); off when unset. */
  OptionalInt port();

  /**
   * The default return-path domain (its MX points at this listener): the envelope sender domain of
   * every domain without its own {@code returnPath}.
   */
  Optional<String> domain();

  /**
   * The address feedback loops send ARF complaint reports to (RFC 5965), e.g. {@code
   * fbl@bounces.example.com}; its domain must be a return-path domain.
   */
  Optional<String> feedbackAddress();

  /** The address the listener binds. */
  @WithDefault("0.0.0.0")
  String host();

  /**
   * The name in the greeting, and the MX host name the audit expects a return-path domain's MX to
   * name; {@code postwire.delivery.ehlo-name} when unset, then {@code postwire}.
   */
  @WithDefault("${postwire.delivery.ehlo-name:postwire}")
  String hostname();

  /**
   * Further MX host names that reach this listener (a load balancer's name, another replica's): the
   * audit accepts a return-path MX naming any of them or {@link #hostname()}.
   */
  Optional<List<String>> mxNames();

  Tls tls();

  /** The certificate and key (PEM files) for STARTTLS; plaintext only when unset. */
  interface Tls {
    /** PEM certificate chain. */
    Optional<String> cert();

    /** PEM private key. */
    Optional<String> key();
  }

  /** Largest message in octets (a bounce quotes at most the original message). */
  @WithDefault("10485760")
  int maxSize();

  /** Most recipients of one message. */
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

  /** Commands outside mail transactions a session may send between two accepted messages. */
  @WithDefault("100")
  int maxCommands();

  /** How long a client may stay silent before 421 4.4.2 and close. */
  @WithDefault("5m")
  Duration idleTimeout();

  /** How long the DATA section of one message may take. */
  @WithDefault("10m")
  Duration dataTimeout();

  /**
   * How long a bounce report waits for the delivery attempt it is about to be recorded (a server
   * may accept a message and send its DSN before the attempt's outcome is written); past it the
   * report gets 451 and the sender tries again later.
   */
  @WithDefault("15s")
  Duration inFlightWait();
}

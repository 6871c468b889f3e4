package io.postwire.delivery;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** Delivery settings ({@code postwire.delivery.*}). */
@ConfigMapping(prefix = "postwire.delivery")
public interface DeliveryConfig {

  /** Where mail goes: {@code mx}, {@code relay} or {@code sandbox}. */
  @WithDefault("mx")
  Mode mode();

  /** The TCP port used on MX hosts (25; tests use a high port on loopback). */
  @WithDefault("25")
  int smtpPort();

  /** The name given in EHLO; required in mx mode, never guessed from the host's DNS. */
  Optional<String> ehloName();

  /** How long a claimed delivery stays leased; workers renew what they hold. */
  @WithDefault("60s")
  Duration lease();

  /** SMTP transactions in flight per replica. */
  @WithDefault("64")
  int concurrency();

  /**
   * Message content one claim loads at most, in bytes (by the messages' sizes); the first message
   * of a claim is taken however large, the rows beyond the budget wait for the next claim.
   */
  @WithDefault("67108864")
  long claimMaxBytes();

  /**
   * The longest one delivery attempt (one message to one destination: DNS, waiting for a
   * connection, the SMTP dialogue) may take; past it the attempt is abandoned, its recipients are
   * deferred and their leases are no longer renewed.
   */
  @WithDefault("10m")
  Duration attemptTimeout();

  /** MX host names tried at most in one attempt, those whose lookup fails included. */
  @WithDefault("10")
  int maxMxHosts();

  /**
   * Delivery slots (of {@code concurrency}) one recipient domain may hold at once in MX mode, so a
   * slow or tarpitting domain cannot stall everyone's mail; its other due deliveries wait a few
   * seconds. Unset = a quarter of {@code concurrency}.
   */
  Optional<Integer> maxSlotsPerDomain();

  /** On shutdown: stop claiming, finish or release in-flight work within this. */
  @WithDefault("20s")
  Duration shutdownGrace();

  /** The safety poll for due deliveries (LISTEN/NOTIFY wakes workers sooner). */
  @WithDefault("5s")
  Duration pollInterval();

  /** Whether this replica runs the delivery pipeline at all. */
  @WithDefault("true")
  boolean enabled();

  /**
   * Failures inside the service (not SMTP replies, not the database) after which a recipient is
   * {@code failed} with {@code bounceCategory} {@code internal_error}; each one before is retried
   * with the normal backoff.
   */
  @WithDefault("5")
  int maxInternalFailures();

  /**
   * One timeout for every SMTP step, connect included; unset keeps the RFC 5321 §4.5.3.2 values (30
   * s connect, 5 min greeting and commands, 2 min DATA, 3 min per block, 10 min end of data).
   */
  Optional<Duration> commandTimeout();

  /**
   * How long a delivery waits for a connection to its MX host when the host's (or its IP address's)
   * connection limit is reached, before its recipients are deferred.
   */
  @WithDefault("2m")
  Duration connectionWaitTimeout();

  /** How long an idle SMTP connection is kept for reuse. */
  @WithDefault("60s")
  Duration idleTimeout();

  /** Traffic shaping per destination host (per replica). */
  Shaping shaping();

  /**
   * Limits per MX host: a default and rules whose {@code pattern} ({@code gmail.com} exactly, or
   * {@code *.outlook.com} for any name under it) matches the recipient domain or the MX host name;
   * the first matching rule wins, and what a rule leaves unset comes from the default.
   */
  interface Shaping {
    /** The limits of hosts no rule matches. */
    @WithName("default")
    Limits defaults();

    /** Per-destination rules, in order ({@code shaping.rules[0].pattern=gmail.com}, …). */
    Optional<List<Rule>> rules();

    /** Host pools kept at most; the least recently used idle ones are closed beyond it. */
    @WithDefault("1000")
    int maxPools();
  }

  /** The limits for hosts no rule matches. */
  interface Limits {
    /** Connections open at once to one MX host. */
    @WithDefault("10")
    int maxConnections();

    /** Messages over one connection before it is closed. */
    @WithDefault("100")
    int maxMessagesPerConnection();

    /** Messages per minute to one MX host; unset = no limit. */
    OptionalInt ratePerMinute();

    /** How long an idle connection is kept; unset = {@code postwire.delivery.idle-timeout}. */
    Optional<Duration> idleTimeout();
  }

  /** One destination's limits; what is unset comes from the default. */
  interface Rule {
    /** {@code example.com} (that name only) or {@code *.example.com} (any name under it). */
    String pattern();

    OptionalInt maxConnections();

    OptionalInt maxMessagesPerConnection();

    OptionalInt ratePerMinute();

    Optional<Duration> idleTimeout();
  }

  /** How long an MX host that greeted with 421 is left alone (per replica). */
  HostBackoffConfig hostBackoff();

  /** Backoff of MX hosts after a 421, doubling per further 421, capped. */
  interface HostBackoffConfig {
    /** Wait after a host's first 421. */
    @WithDefault("1m")
    Duration initial();

    /** Longest wait. */
    @WithDefault("30m")
    Duration max();
  }

  /** The retry schedule for deferred recipients. */
  Retry retry();

  /** Exponential backoff with jitter, capped. */
  interface Retry {
    /** Wait after the first deferral. */
    @WithDefault("5m")
    Duration initial();

    /** Factor applied per further deferral. */
    @WithDefault("2")
    double multiplier();

    /** Longest wait between attempts. */
    @WithDefault("2h")
    Duration max();

    /** Random spread around each wait, as a fraction (0.2 = ±20%). */
    @WithDefault("0.2")
    double jitter();
  }

  /** Delivery modes. */
  enum Mode {
    MX,
    RELAY,
    SANDBOX
  }
}

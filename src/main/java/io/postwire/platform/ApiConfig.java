package io.postwire.platform;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/** API access settings ({@code postwire.api.*}). */
@ConfigMapping(prefix = "postwire.api")
public interface ApiConfig {

  /** The first admin API key; empty means only keys created through the API (none at first). */
  Optional<String> bootstrapKey();

  /** Largest HTTP request body accepted (the HTTP layer answers 413 beyond). */
  @WithDefault("16M")
  String maxRequestSize();

  /**
   * Request bodies of sends being handled at once on this replica (each counted as its declared
   * length, at least 16 KiB; a chunked body as the request limit); a send beyond it is refused with
   * 503 and Retry-After before its body is read, so an overload costs callers a retry instead of
   * costing the replica its heap.
   */
  @WithDefault("32M")
  MemorySize maxInFlightBytes();

  /**
   * The part of {@link #maxInFlightBytes()} the sends of one API key may hold at once; unset = half
   * of it. A key's first send is always admitted, so one large send still passes; the rest of the
   * budget stays for other keys, however slowly one key's clients upload.
   */
  Optional<MemorySize> maxInFlightBytesPerKey();

  /**
   * How long a client may take to send a request body, from its head to its last byte; a body not
   * complete by then is answered with 408 and its connection closed, giving back what it held.
   */
  @WithDefault("30s")
  Duration bodyTimeout();

  /**
   * Messages per second each API key may send on this replica (a batch counts its items); beyond it
   * 429 rate_limited with Retry-After. Unset or 0 = no limit.
   */
  OptionalDouble rateLimit();

  /** Messages a key may send at once within its rate; unset = one second's worth. */
  OptionalInt rateLimitBurst();

  /**
   * Longest time one SQL statement may run (PostgreSQL {@code statement_timeout}, set on every
   * connection), waits for locks included; beyond it the request is answered 503 {@code
   * unavailable} with Retry-After instead of hanging on a stuck database.
   */
  @WithDefault("10s")
  Duration statementTimeout();

  /**
   * Longest time to open a connection to PostgreSQL, and to wait for one from the pool; beyond it
   * the request is answered 503 {@code unavailable}.
   */
  @WithDefault("5s")
  Duration connectTimeout();

  /** How long an authenticated key is remembered on this replica before its row is read again. */
  @WithDefault("10s")
  Duration keyCacheTtl();

  /** How long a replica remembers that a token is no key, so repeating it costs no query. */
  @WithDefault("10s")
  Duration unknownKeyCacheTtl();

  /**
   * Lookups of unknown keys each client address may cause per second on this replica; beyond it
   * (and its burst) a token that is not already known is refused with 429 without a query.
   */
  @WithDefault("5")
  double failedAuthRate();

  /** Lookups of unknown keys a client address may cause at once within that rate. */
  @WithDefault("20")
  int failedAuthBurst();
}

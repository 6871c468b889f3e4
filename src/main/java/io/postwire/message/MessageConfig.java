package io.postwire.message;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Message limits ({@code postwire.message.*}). */
@ConfigMapping(prefix = "postwire.message")
public interface MessageConfig {

  /** Largest rendered message in bytes; beyond it a send is refused with 413. */
  @WithDefault("10485760")
  int maxSize();

  /** Most recipients (to + cc + bcc) of one message. */
  @WithDefault("50")
  int maxRecipients();

  /** How long undelivered recipients are retried when the request gives no {@code expiresAt}. */
  @WithDefault("5d")
  Duration defaultExpiry();

  /**
   * How far ahead {@code sendAt} and {@code expiresAt} may lie: a message is purged only once it is
   * finished, so this bounds how long a message can hold off the retention settings.
   */
  @WithDefault("30d")
  Duration maxAhead();

  /** How long an {@code Idempotency-Key} answer is kept. */
  @WithDefault("24h")
  Duration idempotencyRetention();
}

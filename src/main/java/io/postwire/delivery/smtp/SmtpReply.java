package io.postwire.delivery.smtp;

import java.time.Duration;
import java.util.Optional;

/**
 * One SMTP reply, parsed from the reply text (RFC 5321 §4.2, enhanced codes RFC 3463).
 *
 * @param code the three-digit reply code, or 0 when no reply exists (connection failure)
 * @param enhancedCode the RFC 3463 enhanced status code ("5.1.1") or {@code null}
 * @param text the reply text, lines joined by a space, without the codes; made printable and at
 *     most {@link #MAX_TEXT} characters long (see {@link SmtpReplies#printable})
 */
public record SmtpReply(int code, String enhancedCode, String text) {

  /** The longest reply text kept; a reply is stored in outcome rows and events. */
  public static final int MAX_TEXT = 1024;

  /**
   * Keeps the text safe to store: a peer's reply may carry NUL (which PostgreSQL text and jsonb
   * refuse) or other control characters, and be arbitrarily long.
   */
  public SmtpReply {
    text = SmtpReplies.printable(text, MAX_TEXT);
  }

  /** 2xx. */
  public boolean positive() {
    return code >= 200 && code < 400;
  }

  /**
   * 4xx, or no reply at all (a network failure is worth another try) unless our own verdict says
   * permanent (a null MX: no reply, enhanced code 5.x.x).
   */
  public boolean transientFailure() {
    return (code >= 400 && code < 500) || code == 0 && !permanentFailure();
  }

  /** 5xx, or no reply with a permanent enhanced code (RFC 7505 null MX: 5.1.10). */
  public boolean permanentFailure() {
    return code >= 500 || code == 0 && enhancedCode != null && enhancedCode.startsWith("5.");
  }

  /** The server's explicit retry hint ("try again in 5 minutes"), see {@link SmtpReplies}. */
  public Optional<Duration> retryAfter() {
    return SmtpReplies.retryAfter(text);
  }

  /** A reply for a failure that produced no SMTP reply (connection refused, timeout, TLS). */
  public static SmtpReply noReply(String why) {
    return new SmtpReply(0, null, why);
  }

  @Override
  public String toString() {
    return code + (enhancedCode == null ? "" : " " + enhancedCode) + " " + text;
  }
}

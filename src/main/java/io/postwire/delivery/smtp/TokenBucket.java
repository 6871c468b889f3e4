package io.postwire.delivery.smtp;

/**
 * A token bucket holding one minute's worth of a rate per minute. Not thread-safe: {@link
 * SmtpConnectionPool} uses it under its lock.
 */
final class TokenBucket {

  private double tokens;
  private long at;

  /**
   * Takes one token at {@code now} (nanoseconds); returns 0, or the milliseconds until the debt is
   * paid.
   */
  long take(int ratePerMinute, long now) {
    double perMs = ratePerMinute / 60_000.0;
    tokens = at == 0 ? ratePerMinute : Math.min(ratePerMinute, tokens + (now - at) / 1e6 * perMs);
    at = now;
    tokens -= 1;
    return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / perMs);
  }

  /** Gives back a token taken for a turn that was not used. */
  void giveBack() {
    tokens += 1;
  }
}

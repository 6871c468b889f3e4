package io.postwire.delivery;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When to try a deferred recipient again: exponential from {@code retry.initial}, times {@code
 * retry.multiplier} per attempt, capped at {@code retry.max}, with ±{@code retry.jitter}; a
 * server's own "try again in N minutes" wins when it asks for longer.
 */
@ApplicationScoped
public class RetryPolicy {

  private final DeliveryConfig.Retry retry;

  public RetryPolicy(DeliveryConfig config) {
    this.retry = config.retry();
  }

  /** The wait after the {@code attempts}-th attempt (1 = the first) was deferred. */
  public Duration next(int attempts, Optional<Duration> serverHint) {
    double base =
        retry.initial().toMillis() * Math.pow(retry.multiplier(), Math.max(0, attempts - 1));
    double capped = Math.min(base, retry.max().toMillis());
    double spread = capped * retry.jitter();
    double wait = capped + ThreadLocalRandom.current().nextDouble(-spread, spread + 1e-9);
    Duration computed = Duration.ofMillis(Math.max(1000, (long) wait));
    if (serverHint.isPresent() && serverHint.get().compareTo(computed) > 0) {
      Duration hint = serverHint.get();
      return hint.compareTo(retry.max()) > 0 ? retry.max() : hint;
    }
    return computed;
  }
}

package io.postwire.platform;

import io.postwire.delivery.MtaStsPolicyStore;
import io.postwire.message.IdempotencyStore;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Periodic clean-up: idempotency answers past their retention, MTA-STS policies past max_age. */
@ApplicationScoped
public class Housekeeping {

  private final IdempotencyStore idempotency;
  private final MtaStsPolicyStore mtaSts;

  public Housekeeping(IdempotencyStore idempotency, MtaStsPolicyStore mtaSts) {
    this.idempotency = idempotency;
    this.mtaSts = mtaSts;
  }

  @Scheduled(
      every = "10m",
      delayed = "1m",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> purgeIdempotencyKeys() {
    return idempotency.purge().replaceWithVoid();
  }

  @Scheduled(every = "1h", delayed = "5m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> purgeExpiredMtaStsPolicies() {
    return mtaSts.purgeExpired().replaceWithVoid();
  }
}

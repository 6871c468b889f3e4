package io.postwire.platform;

import io.postwire.message.IdempotencyStore;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Periodic clean-up: idempotency answers past their retention. */
@ApplicationScoped
public class Housekeeping {

  private final IdempotencyStore idempotency;

  public Housekeeping(IdempotencyStore idempotency) {
    this.idempotency = idempotency;
  }

  @Scheduled(
      every = "10m",
      delayed = "1m",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  Uni<Void> purgeIdempotencyKeys() {
    return idempotency.purge().replaceWithVoid();
  }
}

package io.postwire.inboxtest;

import io.postwire.platform.Purge;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/** Housekeeping's share for inbox tests: tests past their expiry go, with their reports. */
@ApplicationScoped
public class InboxTestPurge implements Purge {

  private final InboxTestStore store;

  public InboxTestPurge(InboxTestStore store) {
    this.store = store;
  }

  @Override
  public Uni<Map<String, Long>> purge() {
    return store.purgeExpired().map(n -> Map.of("inboxTests", n));
  }
}

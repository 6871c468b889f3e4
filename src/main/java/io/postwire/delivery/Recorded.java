package io.postwire.delivery;

import java.util.List;
import java.util.UUID;

/** What one group's attempt leaves to write: outcomes, events, and a signature to store. */
record Recorded(
    List<DeliveryStore.Outcome> outcomes,
    List<DeliveryStore.Event> events,
    DeliveryStore.Signature signature) {

  static final Recorded NOTHING = new Recorded(List.of(), List.of());

  Recorded(List<DeliveryStore.Outcome> outcomes, List<DeliveryStore.Event> events) {
    this(outcomes, events, null);
  }

  Recorded signed(DeliveryStore.Signature s) {
    return new Recorded(outcomes, events, s);
  }

  boolean empty() {
    return outcomes.isEmpty() && events.isEmpty();
  }

  /** The message this belongs to. */
  UUID messageId() {
    return !outcomes.isEmpty() ? outcomes.get(0).messageId() : events.get(0).messageId();
  }
}

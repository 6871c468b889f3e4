package io.postwire.delivery;

import java.util.List;
import java.util.UUID;

/** Recipients of one message that share one SMTP transaction. */
record DeliveryGroup(UUID messageId, String destination, List<DeliveryStore.Claimed> rows) {

  DeliveryStore.MessageData message() {
    return rows.get(0).message();
  }

  List<String> recipients() {
    return rows.stream().map(DeliveryStore.Claimed::recipient).toList();
  }
}

package io.postwire.delivery;

import java.util.List;
import java.util.UUID;

/**
 * Recipients of one message that share one SMTP transaction. {@code mailFrom} is the transaction's
 * envelope sender when it is the recipient's own (VERP, one recipient per group), null for the
 * message's.
 */
record DeliveryGroup(
    UUID messageId, String destination, String mailFrom, List<DeliveryStore.Claimed> rows) {

  /** The envelope sender of this group's transaction. */
  String envelopeSender() {
    return mailFrom != null ? mailFrom : message().mailFrom();
  }

  DeliveryStore.MessageData message() {
    return rows.get(0).message();
  }

  List<String> recipients() {
    return rows.stream().map(DeliveryStore.Claimed::recipient).toList();
  }
}

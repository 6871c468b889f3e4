package io.postwire.platform;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The status of a message, derived from its recipients' deliveries by the {@code message_status}
 * view (API.md, "Message"): the values {@code GET /v1/messages?status=} may ask for.
 */
public enum MessageStatus {
  QUEUED,
  DELIVERING,
  DEFERRED,
  DELIVERED,
  BOUNCED,
  FAILED,
  PARTIALLY_DELIVERED;

  private final String wire = name().toLowerCase(Locale.ROOT);

  /** The name in the API and the view. */
  public String wire() {
    return wire;
  }

  /** Every wire name, in declaration order. */
  public static List<String> wireNames() {
    return Arrays.stream(values()).map(MessageStatus::wire).toList();
  }
}

package io.postwire.inbound.report;

/** The RFC 3464 section 2.3.3 {@code Action} of a recipient in a delivery report. */
public enum Action {
  FAILED,
  DELAYED,
  DELIVERED,
  RELAYED,
  EXPANDED
}

package io.postwire.platform;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The status of one recipient's delivery (API.md, "Recipient"): the values of the {@code
 * delivery.status} column, whose check constraint allows exactly these, in this order.
 */
public enum DeliveryStatus {
  QUEUED,
  DEFERRED,
  DELIVERED,
  BOUNCED,
  SUPPRESSED,
  EXPIRED,
  FAILED;

  /**
   * The statuses of a delivery still to be attempted, as an SQL list: {@code ('queued',
   * 'deferred')}. Written into statements as a literal (not bound), so the planner sees the same
   * text the partial indexes were made with.
   */
  public static final String PENDING_SQL = sqlList(QUEUED, DEFERRED);

  private final String wire = name().toLowerCase(Locale.ROOT);

  /** The name in the API, the database and events. */
  public String wire() {
    return wire;
  }

  /** Whether a delivery in this status is still to be attempted. */
  public boolean pending() {
    return this == QUEUED || this == DEFERRED;
  }

  /** The status named {@code wire}. */
  public static DeliveryStatus of(String wire) {
    return valueOf(wire.toUpperCase(Locale.ROOT));
  }

  /** Every wire name, in declaration order. */
  public static List<String> wireNames() {
    return Arrays.stream(values()).map(DeliveryStatus::wire).toList();
  }

  /** An SQL literal for the status: {@code 'queued'}. */
  public String sql() {
    return "'" + wire + "'";
  }

  /** An SQL list of statuses: {@code ('queued', 'deferred')}. */
  public static String sqlList(DeliveryStatus... statuses) {
    return Arrays.stream(statuses)
        .map(DeliveryStatus::sql)
        .collect(Collectors.joining(", ", "(", ")"));
  }
}

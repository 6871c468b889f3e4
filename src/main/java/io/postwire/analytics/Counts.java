package io.postwire.analytics;

import java.util.List;

/**
 * The counters of a rollup row, in the order of the {@code stats_hour} columns and of the API's
 * fields.
 */
final class Counts {

  static final int SENT = 0;
  static final int DELIVERED = 1;
  static final int DEFERRED = 2;
  static final int BOUNCED = 3;
  static final int HARD_BOUNCED = 4;
  static final int COMPLAINED = 5;
  static final int UNSUBSCRIBED = 6;
  static final int OPENED = 7;
  static final int UNIQUE_OPENED = 8;
  static final int CLICKED = 9;
  static final int UNIQUE_CLICKED = 10;

  /** The {@code stats_hour} columns. */
  static final List<String> COLUMNS =
      List.of(
          "sent",
          "delivered",
          "deferred",
          "bounced",
          "hard_bounced",
          "complained",
          "unsubscribed",
          "opened",
          "unique_opened",
          "clicked",
          "unique_clicked");

  /** The API's field names, in the same order. */
  static final List<String> FIELDS =
      List.of(
          "sent",
          "delivered",
          "deferred",
          "bounced",
          "hardBounced",
          "complained",
          "unsubscribed",
          "opened",
          "uniqueOpened",
          "clicked",
          "uniqueClicked");

  /** The stored event types the rollups count. */
  static final List<String> TYPES =
      List.of(
          "queued",
          "delivered",
          "deferred",
          "bounced",
          "complained",
          "unsubscribed",
          "opened",
          "clicked");

  /** The counter an event type adds to, or -1. */
  static int of(String type) {
    return switch (type) {
      case "queued" -> SENT;
      case "delivered" -> DELIVERED;
      case "deferred" -> DEFERRED;
      case "bounced" -> BOUNCED;
      case "complained" -> COMPLAINED;
      case "unsubscribed" -> UNSUBSCRIBED;
      case "opened" -> OPENED;
      case "clicked" -> CLICKED;
      default -> -1;
    };
  }

  private Counts() {}
}

package io.postwire.event;

import java.util.Set;

/**
 * The public names of the event types the event table holds. The table keeps the short names the
 * message document's {@code events} list shows ({@code delivered}); the events API and webhooks
 * show them as {@code message.delivered}. {@code signed}, {@code attempt} and {@code
 * failed_internal} are not recipient state changes: they stay in the message document only.
 */
public final class EventTypes {

  /** The prefix of message events' public names. */
  public static final String MESSAGE = "message.";

  /**
   * The stored types that are never published, as an SQL list: steps inside a delivery, and an
   * attempt that failed inside the service (retried; its end is a published {@code failed}).
   */
  public static final String INTERNAL_SQL = "('signed', 'attempt', 'failed_internal')";

  /** Every public name (API.md). */
  public static final Set<String> PUBLIC =
      Set.of(
          "message.queued",
          "message.delivered",
          "message.deferred",
          "message.bounced",
          "message.complained",
          "message.unsubscribed",
          "message.opened",
          "message.clicked",
          "message.expired",
          "message.failed",
          "message.cancelled",
          "message.suppressed",
          "message.auto_replied",
          "domain.paused",
          "domain.audit_changed");

  private EventTypes() {}

  /** The stored type of a public name ({@code message.delivered} → {@code delivered}). */
  public static String stored(String publicName) {
    return publicName.startsWith(MESSAGE) ? publicName.substring(MESSAGE.length()) : publicName;
  }

  /** The prefix of domain events' names, stored as they are shown ({@code domain.paused}). */
  public static final String DOMAIN = "domain.";

  /**
   * The SQL expression of an event's public name, for an event aliased {@code alias}: domain events
   * are stored under their public name, message events under the short one.
   */
  public static String publicSql(String alias) {
    // starts_with, not LIKE: callers embed this in format strings, where '%' is taken
    return "case when starts_with("
        + alias
        + ".type, '"
        + DOMAIN
        + "') then "
        + alias
        + ".type else '"
        + MESSAGE
        + "' || "
        + alias
        + ".type end";
  }
}

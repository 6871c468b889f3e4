package io.postwire.platform;

import java.util.List;

/** One page of a list answer: {@code {"items":[…],"next":"<cursor or null>"}}. */
public record Page<T>(List<T> items, String next) {

  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;

  /** What {@code ?limit=} is, for the OpenAPI document. */
  public static final String LIMIT_DOC = "page size, a whole number from 1 to 500 (default 50)";

  /**
   * The page size asked for ({@code ?limit=}, taken as text so that {@code abc} is a 422 naming the
   * field rather than the framework's 404), validated: default 50, 1..500.
   */
  public static int limit(String requested) {
    if (requested == null) {
      return DEFAULT_LIMIT;
    }
    int limit;
    try {
      limit = Integer.parseInt(requested.trim());
    } catch (NumberFormatException e) {
      limit = 0;
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw Refusal.field(
          "validation_failed", "limit", "must be a whole number from 1 to " + MAX_LIMIT);
    }
    return limit;
  }
}

package io.postwire.platform;

import java.util.List;

/** One page of a list answer: {@code {"items":[…],"next":"<cursor or null>"}}. */
public record Page<T>(List<T> items, String next) {

  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;

  /** The page size asked for, validated (default 50, 1..500). */
  public static int limit(Integer requested) {
    if (requested == null) {
      return DEFAULT_LIMIT;
    }
    if (requested < 1 || requested > MAX_LIMIT) {
      throw ApiException.field("validation_failed", "limit", "must be between 1 and " + MAX_LIMIT);
    }
    return requested;
  }
}

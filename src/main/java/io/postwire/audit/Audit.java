package io.postwire.audit;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A DNS audit of a sending domain (API.md "Domains").
 *
 * @param domain the domain
 * @param checkedAt when it finished
 * @param status the worst status of its checks
 * @param checks the checks in a fixed order
 */
public record Audit(
    String domain, OffsetDateTime checkedAt, String status, List<CheckResult> checks) {

  /** The worse of two statuses: fail over warn over pass. */
  static String worst(String a, String b) {
    return rank(a) >= rank(b) ? a : b;
  }

  static int rank(String status) {
    return switch (status) {
      case "fail" -> 2;
      case "warn" -> 1;
      default -> 0;
    };
  }
}

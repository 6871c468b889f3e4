package io.postwire.audit;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A DNS audit of a sending domain (API.md "Domains").
 *
 * @param domain the domain
 * @param checkedAt when it finished
 * @param status the worst status of its definite checks; {@code unknown} when every check is
 * @param checks the checks in a fixed order
 */
public record Audit(
    String domain, OffsetDateTime checkedAt, String status, List<CheckResult> checks) {

  /** A check, or an audit, about which the DNS said nothing definite (a temporary failure). */
  public static final String UNKNOWN = "unknown";

  /**
   * The audit's status: the worst of its definite checks (fail over warn over pass); a check that
   * is {@code unknown} counts for nothing, and only an audit of unknown checks is {@code unknown}.
   */
  static String statusOf(List<CheckResult> checks) {
    String status = UNKNOWN;
    for (CheckResult check : checks) {
      if (rank(check.status()) > rank(status)) {
        status = check.status();
      }
    }
    return status;
  }

  private static int rank(String status) {
    return switch (status) {
      case "fail" -> 3;
      case "warn" -> 2;
      case "pass" -> 1;
      default -> 0;
    };
  }
}

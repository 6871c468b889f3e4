package io.postwire.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one check of an audit (API.md "Domains").
 *
 * @param name {@code spf}, {@code dkim}, {@code dmarc}, {@code mx}, {@code mta-sts} or {@code
 *     tls-rpt}
 * @param status {@code pass}, {@code warn} or {@code fail}: fail with an error finding, warn with a
 *     warning; {@code unknown} when a DNS lookup failed temporarily (a {@code
 *     dns_temporary_failure} finding), so nothing definite can be said
 * @param record the record as found in the DNS, or null
 * @param findings what was found
 * @param details check-specific data
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record CheckResult(
    String name,
    String status,
    String record,
    List<Finding> findings,
    Map<String, Object> details) {

  /** Collects findings for one check; the status follows from the worst severity. */
  static final class Builder {
    private final String name;
    private String record;
    private final List<Finding> findings = new ArrayList<>();
    private final Map<String, Object> details = new LinkedHashMap<>();
    private boolean unknown;

    Builder(String name) {
      this.name = name;
    }

    Builder record(String text) {
      this.record = text;
      return this;
    }

    Builder add(Finding finding) {
      findings.add(finding);
      return this;
    }

    Builder error(String code, String message) {
      return add(Finding.error(code, message));
    }

    Builder warning(String code, String message) {
      return add(Finding.warning(code, message));
    }

    Builder info(String code, String message) {
      return add(Finding.info(code, message));
    }

    /**
     * A lookup failed temporarily (timeout, SERVFAIL, unreachable server): the check is {@code
     * unknown}, never {@code fail}, for the DNS may answer on the next audit (API.md
     * "clarifications").
     */
    Builder temporaryFailure(String message) {
      return unknown("dns_temporary_failure", message);
    }

    /** The check could not finish: its status is {@code unknown}, whatever it found before. */
    Builder unknown(String code, String message) {
      unknown = true;
      return add(Finding.warning(code, message));
    }

    Builder detail(String key, Object value) {
      details.put(key, value);
      return this;
    }

    CheckResult build() {
      return new CheckResult(
          name,
          unknown ? Audit.UNKNOWN : statusOf(findings),
          record,
          List.copyOf(findings),
          Collections.unmodifiableMap(new LinkedHashMap<>(details)));
    }

    private static String statusOf(List<Finding> findings) {
      String status = "pass";
      for (Finding finding : findings) {
        if (finding.severity().equals("error")) {
          status = "fail";
        } else if (finding.severity().equals("warning") && status.equals("pass")) {
          status = "warn";
        }
      }
      return status;
    }
  }
}

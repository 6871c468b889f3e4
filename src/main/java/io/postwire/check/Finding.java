package io.postwire.check;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One thing the pre-send check found (API.md "Pre-send check and inbox test").
 *
 * @param code a stable snake_case code ({@link ContentChecks} lists the content codes)
 * @param severity {@code error}, {@code warning} or {@code info}
 * @param field where it is: {@code html}, {@code text}, {@code from}, {@code mailFrom}, {@code
 *     attachments}, {@code headers.List-Unsubscribe}, {@code message}
 * @param message what was found, for people
 * @param fix one line saying what to change
 */
@Schema(name = "CheckFinding")
public record Finding(String code, String severity, String field, String message, String fix) {

  public static final String ERROR = "error";
  public static final String WARNING = "warning";
  public static final String INFO = "info";

  static Finding error(String code, String field, String message, String fix) {
    return new Finding(code, ERROR, field, message, fix);
  }

  static Finding warning(String code, String field, String message, String fix) {
    return new Finding(code, WARNING, field, message, fix);
  }

  static Finding info(String code, String field, String message, String fix) {
    return new Finding(code, INFO, field, message, fix);
  }
}

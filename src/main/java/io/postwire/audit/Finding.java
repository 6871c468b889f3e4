package io.postwire.audit;

/**
 * One thing an audit check found.
 *
 * @param severity {@code error}, {@code warning} or {@code info}
 * @param code a stable snake_case code
 * @param message what it means, for people
 */
public record Finding(String severity, String code, String message) {

  static Finding error(String code, String message) {
    return new Finding("error", code, message);
  }

  static Finding warning(String code, String message) {
    return new Finding("warning", code, message);
  }

  static Finding info(String code, String message) {
    return new Finding("info", code, message);
  }
}

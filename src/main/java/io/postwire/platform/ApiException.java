package io.postwire.platform;

import java.util.List;

/**
 * A request the API refuses, with the HTTP status and the stable problem {@code code} of API.md.
 * Mapped to RFC 9457 problem details in one place ({@link ProblemMapper}).
 */
public class ApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final List<Problem.FieldError> errors;
  private final Integer retryAfterSeconds;

  public ApiException(int status, String code, String detail) {
    this(status, code, detail, List.of(), null);
  }

  public ApiException(
      int status,
      String code,
      String detail,
      List<Problem.FieldError> errors,
      Integer retryAfterSeconds) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** A 422 about one field. */
  public static ApiException field(String code, String field, String message) {
    return new ApiException(
        422, code, message, List.of(new Problem.FieldError(field, message)), null);
  }

  public static ApiException notFound(String what) {
    return new ApiException(404, "not_found", what + " not found");
  }

  public static ApiException forbidden(String detail) {
    return new ApiException(403, "forbidden", detail);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public List<Problem.FieldError> errors() {
    return errors;
  }

  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** This refusal as a problem document. */
  public Problem toProblem() {
    return Problem.of(status, code, getMessage(), errors);
  }
}

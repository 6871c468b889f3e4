package io.postwire.platform;

import java.util.List;

/**
 * A request refused for a reason of the domain: its {@link Kind}, the stable problem {@code code}
 * of API.md, a detail and the fields at fault. It names no protocol status: {@link ProblemMapper}
 * turns each kind into an HTTP status and problem+json in one place, and a mail front can turn the
 * same kinds into SMTP replies (an invalid or forbidden message a 5xx, a rate limit a 4xx).
 */
public final class Refusal extends RuntimeException {

  /** What kind of refusal this is. */
  public enum Kind {
    /** The input cannot be read at all (not JSON, not UTF-8, empty). */
    MALFORMED,
    /** The input is readable but a value in it is wrong. */
    INVALID,
    /** The caller may not do this (admin only, a sender domain outside the key's scope). */
    FORBIDDEN,
    /** No such thing, or not visible to the caller. */
    NOT_FOUND,
    /** The thing exists already, or the same request is being processed or differs. */
    CONFLICT,
    /** The message is larger than the configured limit. */
    TOO_LARGE,
    /** A rate limit: retry after {@link #retryAfterSeconds()}. */
    RATE_LIMITED
  }

  private final Kind kind;
  private final String code;
  private final List<Problem.FieldError> errors;
  private final Integer retryAfterSeconds;

  private Refusal(
      Kind kind,
      String code,
      String detail,
      List<Problem.FieldError> errors,
      Integer retryAfterSeconds) {
    super(detail, null, false, false);
    this.kind = kind;
    this.code = code;
    this.errors = errors;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Unreadable input ({@code malformed_json}). */
  public static Refusal malformed(String detail) {
    return new Refusal(Kind.MALFORMED, "malformed_json", detail, List.of(), null);
  }

  /** A wrong value in one field. */
  public static Refusal field(String code, String field, String message) {
    return invalid(code, message, List.of(new Problem.FieldError(field, message)));
  }

  /** Wrong input, with the fields at fault (possibly none). */
  public static Refusal invalid(String code, String detail, List<Problem.FieldError> errors) {
    return new Refusal(Kind.INVALID, code, detail, errors, null);
  }

  /** An operation the caller's key may not do ({@code forbidden}). */
  public static Refusal forbidden(String detail) {
    return forbidden("forbidden", detail, List.of());
  }

  public static Refusal forbidden(String code, String detail, List<Problem.FieldError> errors) {
    return new Refusal(Kind.FORBIDDEN, code, detail, errors, null);
  }

  public static Refusal notFound(String what) {
    return new Refusal(Kind.NOT_FOUND, "not_found", what + " not found", List.of(), null);
  }

  /** A conflict with what exists; {@code retryAfterSeconds} when waiting may resolve it. */
  public static Refusal conflict(String code, String detail, Integer retryAfterSeconds) {
    return new Refusal(Kind.CONFLICT, code, detail, List.of(), retryAfterSeconds);
  }

  /** A message over the size limit ({@code payload_too_large}). */
  public static Refusal tooLarge(String detail) {
    return new Refusal(Kind.TOO_LARGE, "payload_too_large", detail, List.of(), null);
  }

  /** Over a rate limit ({@code rate_limited}); waiting {@code retryAfterSeconds} helps. */
  public static Refusal rateLimited(String detail, long retryAfterSeconds) {
    return new Refusal(
        Kind.RATE_LIMITED,
        "rate_limited",
        detail,
        List.of(),
        (int) Math.min(retryAfterSeconds, Integer.MAX_VALUE));
  }

  public Kind kind() {
    return kind;
  }

  public String code() {
    return code;
  }

  public String detail() {
    return getMessage();
  }

  public List<Problem.FieldError> errors() {
    return errors;
  }

  /** Seconds after which a retry may succeed, or null. */
  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }
}

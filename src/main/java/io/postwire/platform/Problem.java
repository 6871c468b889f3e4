package io.postwire.platform;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** An RFC 9457 problem document with Postwire's stable {@code code} and per-field errors. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(
    String type, String title, int status, String detail, String code, List<FieldError> errors) {

  public static final String MEDIA_TYPE = "application/problem+json";

  private static final Map<Integer, String> TITLES =
      Map.ofEntries(
          Map.entry(400, "Bad Request"),
          Map.entry(401, "Unauthorized"),
          Map.entry(403, "Forbidden"),
          Map.entry(404, "Not Found"),
          Map.entry(405, "Method Not Allowed"),
          Map.entry(406, "Not Acceptable"),
          Map.entry(408, "Request Timeout"),
          Map.entry(409, "Conflict"),
          Map.entry(413, "Content Too Large"),
          Map.entry(415, "Unsupported Media Type"),
          Map.entry(422, "Unprocessable Content"),
          Map.entry(429, "Too Many Requests"),
          Map.entry(500, "Internal Server Error"),
          Map.entry(503, "Service Unavailable"));

  /** One field's complaint; {@code field} is a JSON path such as {@code to[0]}. */
  public record FieldError(String field, String message) {}

  public static Problem of(int status, String code, String detail, List<FieldError> errors) {
    return new Problem(
        "urn:postwire:problem:" + code,
        TITLES.getOrDefault(status, "Error"),
        status,
        detail,
        code,
        errors == null ? List.of() : errors);
  }
}

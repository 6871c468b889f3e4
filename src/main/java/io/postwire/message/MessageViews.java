package io.postwire.message;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.postwire.platform.Problem;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The message documents of the API (API.md, "Messages"). */
public final class MessageViews {

  private MessageViews() {}

  /** The 202 answer to a send. */
  public record Accepted(
      String id, String status, OffsetDateTime createdAt, List<AcceptedRecipient> recipients) {}

  /** A recipient in the 202 answer. */
  public record AcceptedRecipient(String address, String status) {}

  /** One item of a batch answer: accepted (id, recipients) or rejected (error). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record BatchItem(
      int index,
      String id,
      String status,
      OffsetDateTime createdAt,
      List<AcceptedRecipient> recipients,
      Problem error) {}

  /** A message with its recipients and events. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Message(
      String id,
      String from,
      String subject,
      OffsetDateTime createdAt,
      String status,
      List<String> tags,
      @Schema(
              implementation = Map.class,
              additionalProperties = String.class,
              description = "the metadata given at send time, or null")
          JsonNode metadata,
      OffsetDateTime sendAt,
      OffsetDateTime expiresAt,
      List<Recipient> recipients,
      List<Event> events) {}

  /** A message in a list (no events). */
  public record Summary(
      String id, String from, String subject, OffsetDateTime createdAt, String status) {}

  /** One recipient's state. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Recipient(
      String address,
      String status,
      int attempts,
      OffsetDateTime lastAttemptAt,
      OffsetDateTime nextAttemptAt,
      LastResponse lastResponse,
      String bounceCategory) {}

  /** The last SMTP reply a recipient got. */
  public record LastResponse(Integer code, String enhancedCode, String text, String host) {}

  /** Something that happened to a message. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Event(
      String type,
      String recipient,
      OffsetDateTime at,
      @Schema(
              implementation = Map.class,
              additionalProperties = Schema.True.class,
              description =
                  "what the event carries; an attempt: host, ip, tls, code, enhancedCode, text,"
                      + " durationMs; failed_internal: error")
          JsonNode detail) {}
}

package io.postwire.message;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The body of {@code POST /v1/messages} (API.md, "Messages"). */
public record SendRequest(
    String from,
    @Schema(
            description =
                "recipients; may be empty when cc or bcc holds one; to, cc and bcc together hold at"
                    + " most postwire.message.max-recipients (50)")
        List<String> to,
    List<String> cc,
    List<String> bcc,
    String replyTo,
    String subject,
    String text,
    String html,
    Map<String, String> headers,
    List<Attachment> attachments,
    List<String> tags,
    @Schema(
            implementation = Map.class,
            additionalProperties = String.class,
            description = "free-form string values, returned with the message",
            examples = "{\"userId\":\"42\"}")
        Map<String, JsonNode> metadata,
    String sendAt,
    String expiresAt,
    @Schema(
            description =
                "one-click unsubscribe (RFC 8058): List-Unsubscribe with an https and a mailto URI"
                    + " and List-Unsubscribe-Post, DKIM-signed; only for a message with exactly one"
                    + " recipient (send one message per recipient with the batch endpoint); default"
                    + " postwire.unsubscribe.default (false)")
        Boolean unsubscribe,
    @Schema(
            description =
                "open and click tracking (default off); needs postwire.public-url. The content is"
                    + " rendered once for every recipient: events name the recipient only when the"
                    + " message has one")
        Track track) {

  /** Tracking asked for a send: the open pixel, link rewriting (each default false). */
  public record Track(Boolean opens, Boolean clicks) {}

  /** A file carried by the message; with a {@code contentId} it is an inline part. */
  public record Attachment(String filename, String contentType, String content, String contentId) {}
}

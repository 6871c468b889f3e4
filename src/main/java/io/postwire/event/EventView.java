package io.postwire.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * An event as the API and webhooks show it: {@code type} is the public name ({@code
 * message.delivered}), {@code seq} its position in the one strictly increasing order every replica
 * shares.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record EventView(
    UUID id,
    long seq,
    String type,
    OffsetDateTime at,
    UUID messageId,
    String domain,
    String recipient,
    List<String> tags,
    @Schema(
            implementation = Map.class,
            additionalProperties = String.class,
            description = "the message's metadata given at send time, or null")
        JsonNode metadata,
    @Schema(
            implementation = Map.class,
            additionalProperties = Schema.True.class,
            description = "what the event carries (as in the message document's events), or null")
        JsonNode detail) {}

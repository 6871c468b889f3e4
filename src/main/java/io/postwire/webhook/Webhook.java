package io.postwire.webhook;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A webhook as the API shows it; {@code secret} only in the answers that create one. */
public record Webhook(
    UUID id,
    String url,
    List<String> events,
    @Schema(description = "the sending domains whose events it receives; empty = every domain")
        List<String> domains,
    @JsonInclude(JsonInclude.Include.NON_NULL)
        @Schema(description = "whsec_…, shown once: on creation and rotation")
        String secret,
    @Schema(description = "active, or disabled (the endpoint answered 410)") String status,
    OffsetDateTime createdAt) {

  Webhook withSecret(String text) {
    return new Webhook(id, url, events, domains, text, status, createdAt);
  }
}

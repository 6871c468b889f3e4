package io.postwire.message;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A send request that passed validation: parsed mailboxes, decoded attachments, resolved times.
 * Everything here is safe to put into header fields. {@code sender} is the {@code Sender} header
 * the caller gave, or {@code null}.
 */
public record ValidatedMessage(
    Mailbox from,
    List<Mailbox> to,
    List<Mailbox> cc,
    List<Mailbox> bcc,
    Mailbox replyTo,
    Mailbox sender,
    String subject,
    String text,
    String html,
    Map<String, String> headers,
    List<Part> attachments,
    List<String> tags,
    String metadataJson,
    Instant sendAt,
    Instant expiresAt) {

  /** A decoded attachment or inline part. */
  public record Part(String filename, String contentType, byte[] content, String contentId) {}

  /** Every envelope recipient, without duplicates, in request order. */
  public List<String> envelopeRecipients() {
    java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
    for (List<Mailbox> list : List.of(to, cc, bcc)) {
      for (Mailbox m : list) {
        all.add(io.postwire.domain.DomainNames.address(m.address()));
      }
    }
    return List.copyOf(all);
  }
}

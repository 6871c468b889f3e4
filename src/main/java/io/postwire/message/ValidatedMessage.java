package io.postwire.message;

import io.postwire.domain.DomainNames;
import io.postwire.domain.Mailbox;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A send request that passed validation: parsed mailboxes, checked attachments, resolved times.
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
    Instant expiresAt,
    Track track) {

  /** Open and click tracking of a message ({@code "track"} in a send). */
  public record Track(boolean opens, boolean clicks) {
    /** No tracking. */
    public static final Track NONE = new Track(false, false);

    public boolean any() {
      return opens || clicks;
    }
  }

  /** The same message with other html (tracking rewritten into it). */
  public ValidatedMessage withHtml(String newHtml) {
    return new ValidatedMessage(
        from,
        to,
        cc,
        bcc,
        replyTo,
        sender,
        subject,
        text,
        newHtml,
        headers,
        attachments,
        tags,
        metadataJson,
        sendAt,
        expiresAt,
        track);
  }

  /**
   * An attachment or inline part. Its content is kept as it goes out: standard base64 with padding
   * (RFC 4648 §4), in one line, ASCII; the renderer only breaks it into lines, so a request's
   * base64 is checked once and never decoded and encoded again.
   */
  public record Part(String filename, String contentType, byte[] base64, String contentId) {

    /** A part holding {@code content}, encoded. */
    public static Part of(String filename, String contentType, byte[] content, String contentId) {
      return new Part(filename, contentType, Base64.getEncoder().encode(content), contentId);
    }

    /** The decoded content. */
    public byte[] content() {
      return Base64.getDecoder().decode(base64);
    }

    /** The length of the decoded content. */
    public int size() {
      int n = base64.length;
      int padding = n == 0 ? 0 : base64[n - 1] != '=' ? 0 : base64[n - 2] != '=' ? 1 : 2;
      return n / 4 * 3 - padding;
    }
  }

  /** Every envelope recipient, without duplicates, in request order. */
  public List<String> envelopeRecipients() {
    LinkedHashSet<String> all = new LinkedHashSet<>();
    for (List<Mailbox> list : List.of(to, cc, bcc)) {
      for (Mailbox m : list) {
        all.add(DomainNames.address(m.address()));
      }
    }
    return List.copyOf(all);
  }
}

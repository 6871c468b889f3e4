package io.postwire.message;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.postwire.domain.Mailbox;
import io.postwire.platform.PublicUrl;
import io.postwire.platform.Refusal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.ParseException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks a send request against API.md before anything is stored: mailboxes, header injection,
 * reserved headers, recipient count, content, attachments and times.
 */
@ApplicationScoped
public class MessageValidator {

  /** Header fields the caller may not set through {@code headers} (Content-* is a prefix). */
  static final Set<String> RESERVED =
      Set.of(
          "from",
          "to",
          "cc",
          "bcc",
          "reply-to",
          "subject",
          "date",
          "message-id",
          "mime-version",
          "dkim-signature",
          "return-path",
          "received");

  private static final int MAX_TAGS = 20;
  private static final int MAX_HEADERS = 50;

  private final MessageConfig config;
  private final ObjectMapper mapper;
  private final PublicUrl publicUrl;

  public MessageValidator(MessageConfig config, ObjectMapper mapper, PublicUrl publicUrl) {
    this.config = config;
    this.mapper = mapper;
    this.publicUrl = publicUrl;
  }

  public ValidatedMessage validate(SendRequest r, Instant now) {
    Mailbox from = Mailbox.parse(r.from(), "from");
    List<Mailbox> to = mailboxes(r.to(), "to");
    List<Mailbox> cc = mailboxes(r.cc(), "cc");
    List<Mailbox> bcc = mailboxes(r.bcc(), "bcc");
    int count = to.size() + cc.size() + bcc.size();
    if (count == 0) {
      throw Refusal.field("no_recipients", "to", "at least one recipient is required");
    }
    if (count > config.maxRecipients()) {
      throw Refusal.field(
          "too_many_recipients",
          "to",
          "at most " + config.maxRecipients() + " recipients (to, cc and bcc together)");
    }
    Mailbox replyTo = r.replyTo() == null ? null : Mailbox.parse(r.replyTo(), "replyTo");
    String subject = r.subject() == null ? "" : r.subject();
    noLineBreaks(subject, "subject");
    if (subject.length() > 2000) {
      throw Refusal.field("validation_failed", "subject", "at most 2000 characters");
    }
    boolean hasText = r.text() != null && !r.text().isEmpty();
    boolean hasHtml = r.html() != null && !r.html().isEmpty();
    if (!hasText && !hasHtml) {
      throw Refusal.field("no_content", "text", "give text, html or both");
    }
    Map<String, String> headers = headers(r.headers());
    Mailbox sender = sender(r.headers());
    List<ValidatedMessage.Part> parts = attachments(r.attachments());
    List<String> tags = tags(r.tags(), "tags");
    String metadata = metadata(r.metadata(), "metadata");
    Instant sendAt = time(r.sendAt(), "sendAt");
    Instant expiresAt = time(r.expiresAt(), "expiresAt");
    return new ValidatedMessage(
        from,
        to,
        cc,
        bcc,
        replyTo,
        sender,
        subject,
        hasText ? r.text() : null,
        hasHtml ? r.html() : null,
        headers,
        parts,
        tags,
        metadata,
        sendAt,
        expiresAt(expiresAt, sendAt, now),
        track(r.track()));
  }

  /**
   * {@code track}: both default off; asking for either needs {@code postwire.public-url}, since the
   * links must lead somewhere recipients can reach.
   */
  private ValidatedMessage.Track track(SendRequest.Track t) {
    if (t == null) {
      return ValidatedMessage.Track.NONE;
    }
    ValidatedMessage.Track track =
        new ValidatedMessage.Track(Boolean.TRUE.equals(t.opens()), Boolean.TRUE.equals(t.clicks()));
    if (track.any() && publicUrl.publicUrl().isEmpty()) {
      throw Refusal.field(
          "validation_failed",
          "track",
          "tracking needs postwire.public-url (POSTWIRE_PUBLIC_URL) to be set");
    }
    return track;
  }

  /**
   * Checks a message that carries one-click unsubscribe: the token in its links names the message,
   * so the message has exactly one recipient (to, cc and bcc together; SES's list management asks
   * the same), and the caller's {@code headers} may not set the fields Postwire writes.
   */
  public void checkUnsubscribe(ValidatedMessage m) {
    int count = m.to().size() + m.cc().size() + m.bcc().size();
    if (count != 1) {
      throw Refusal.field(
          "validation_failed",
          "unsubscribe",
          "one-click unsubscribe needs exactly one recipient (to, cc and bcc together), not "
              + count
              + "; send one message per recipient (POST /v1/messages/batch), or set"
              + " \"unsubscribe\":false");
    }
    for (String name : m.headers().keySet()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("list-unsubscribe") || lower.equals("list-unsubscribe-post")) {
        throw Refusal.field(
            "reserved_header", "headers." + name, name + " is set by Postwire with unsubscribe");
      }
    }
  }

  /**
   * The expiry to use: the request's (after now and after sendAt), or the configured default;
   * refused when {@code sendAt} or {@code expiresAt} lies beyond {@code
   * postwire.message.max-ahead}.
   */
  public Instant expiresAt(Instant requested, Instant sendAt, Instant now) {
    Instant latest = now.plus(config.maxAhead());
    String limit = "must be at most " + ahead(config.maxAhead()) + " ahead";
    if (sendAt != null && sendAt.isAfter(latest)) {
      throw Refusal.field("validation_failed", "sendAt", limit);
    }
    Instant start = sendAt != null && sendAt.isAfter(now) ? sendAt : now;
    if (requested == null) {
      return start.plus(config.defaultExpiry());
    }
    if (!requested.isAfter(start)) {
      throw Refusal.field("validation_failed", "expiresAt", "must be after now and sendAt");
    }
    if (requested.isAfter(latest)) {
      throw Refusal.field("validation_failed", "expiresAt", limit);
    }
    return requested;
  }

  private static String ahead(Duration limit) {
    if (limit.toDays() > 0 && limit.equals(Duration.ofDays(limit.toDays()))) {
      return limit.toDays() + " days";
    }
    return limit.toSeconds() + " seconds";
  }

  static List<Mailbox> mailboxes(List<String> values, String field) {
    if (values == null) {
      return List.of();
    }
    if (values.size() > 10_000) {
      throw Refusal.field("too_many_recipients", field, "far too many recipients");
    }
    List<Mailbox> result = new ArrayList<>(values.size());
    for (int i = 0; i < values.size(); i++) {
      result.add(Mailbox.parse(values.get(i), field + "[" + i + "]"));
    }
    return result;
  }

  static void noLineBreaks(String value, String field) {
    if (value != null && (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0)) {
      throw Refusal.field("header_injection", field, "must not contain CR or LF");
    }
  }

  private static Map<String, String> headers(Map<String, String> requested) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (requested == null) {
      return headers;
    }
    if (requested.size() > MAX_HEADERS) {
      throw Refusal.field("validation_failed", "headers", "at most " + MAX_HEADERS + " headers");
    }
    for (Map.Entry<String, String> e : requested.entrySet()) {
      String name = e.getKey();
      String field = "headers." + name;
      noLineBreaks(name, field);
      if (name.isEmpty()
          || name.length() > 76
          || !name.chars().allMatch(c -> c >= 33 && c <= 126 && c != ':')) {
        throw Refusal.field("validation_failed", field, "is not a valid header field name");
      }
      String lower = name.toLowerCase(Locale.ROOT);
      if (RESERVED.contains(lower) || lower.startsWith("content-")) {
        throw Refusal.field("reserved_header", field, name + " is set by Postwire");
      }
      if (lower.equals("sender")) {
        continue; // a mailbox, rendered as one: see sender()
      }
      String value = e.getValue() == null ? "" : e.getValue();
      noLineBreaks(value, field);
      if (value.length() > 4000) {
        throw Refusal.field("validation_failed", field, "at most 4000 characters");
      }
      headers.put(name, value);
    }
    return headers;
  }

  /** {@code headers.Sender}: one mailbox (RFC 5322 §3.6.2), held apart to be rendered as one. */
  private static Mailbox sender(Map<String, String> requested) {
    if (requested == null) {
      return null;
    }
    Mailbox sender = null;
    for (Map.Entry<String, String> e : requested.entrySet()) {
      if (e.getKey().equalsIgnoreCase("sender")) {
        String field = "headers." + e.getKey();
        if (sender != null) {
          throw Refusal.field("validation_failed", field, "Sender given twice");
        }
        sender = Mailbox.parse(e.getValue(), field);
      }
    }
    return sender;
  }

  private static List<ValidatedMessage.Part> attachments(List<SendRequest.Attachment> requested) {
    List<ValidatedMessage.Part> parts = new ArrayList<>();
    if (requested == null) {
      return parts;
    }
    if (requested.size() > 100) {
      throw Refusal.field("invalid_attachment", "attachments", "at most 100 attachments");
    }
    for (int i = 0; i < requested.size(); i++) {
      SendRequest.Attachment a = requested.get(i);
      String field = "attachments[" + i + "]";
      if (a == null) {
        throw Refusal.field("invalid_attachment", field, "must be an object");
      }
      if (a.filename() == null || a.filename().isBlank() || a.filename().length() > 255) {
        throw Refusal.field(
            "invalid_attachment", field + ".filename", "is required (at most 255 characters)");
      }
      noLineBreaks(a.filename(), field + ".filename");
      noLineBreaks(a.contentType(), field + ".contentType");
      noLineBreaks(a.contentId(), field + ".contentId");
      String contentType =
          a.contentType() == null || a.contentType().isBlank()
              ? "application/octet-stream"
              : a.contentType().trim();
      try {
        ContentType parsed = new ContentType(contentType);
        if (parsed.getPrimaryType().equalsIgnoreCase("multipart")
            || parsed.getPrimaryType().equalsIgnoreCase("message")) {
          throw Refusal.field(
              "invalid_attachment",
              field + ".contentType",
              "multipart and message types are not attachments");
        }
      } catch (ParseException e) {
        throw Refusal.field("invalid_attachment", field + ".contentType", "is not a MIME type");
      }
      if (a.content() == null) {
        throw Refusal.field("invalid_attachment", field + ".content", "is required (base64)");
      }
      byte[] content;
      try {
        content = canonicalBase64(a.content());
      } catch (IllegalArgumentException e) {
        throw Refusal.field("invalid_attachment", field + ".content", "is not valid base64");
      }
      if (content.length == 0) {
        throw Refusal.field("invalid_attachment", field + ".content", "must not be empty");
      }
      String contentId = a.contentId();
      if (contentId != null) {
        contentId = contentId.trim();
        if (contentId.startsWith("<") && contentId.endsWith(">")) {
          contentId = contentId.substring(1, contentId.length() - 1);
        }
        if (contentId.isEmpty()
            || contentId.length() > 200
            || !contentId.chars().allMatch(c -> c > 32 && c < 127 && c != '<' && c != '>')) {
          throw Refusal.field(
              "invalid_attachment", field + ".contentId", "is not a valid Content-ID");
        }
      }
      parts.add(new ValidatedMessage.Part(a.filename(), contentType, content, contentId));
    }
    return parts;
  }

  /**
   * Each ASCII character's place in base64: 0 the alphabet (standard or URL-safe), 1 '=', 2 white
   * space.
   */
  private static final byte[] BASE64_CLASS = new byte[128];

  /** Each standard base64 character's value (RFC 4648 table 1). */
  private static final byte[] BASE64_VALUE = new byte[128];

  static {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < alphabet.length(); i++) {
      BASE64_VALUE[alphabet.charAt(i)] = (byte) i;
    }
    Arrays.fill(BASE64_CLASS, (byte) -1);
    for (char c :
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_".toCharArray()) {
      BASE64_CLASS[c] = 0;
    }
    BASE64_CLASS['='] = 1;
    for (char c : " \t\r\n".toCharArray()) {
      BASE64_CLASS[c] = 2;
    }
  }

  /**
   * Checks base64 strictly and returns it in the form it goes out: standard alphabet, padded, white
   * space dropped, as ASCII bytes. The JDK's MIME decoder skips garbage, so anything but the
   * alphabet (standard or URL-safe), padding and white space is refused with {@link
   * IllegalArgumentException}. One pass over the text into a byte array; when that is already
   * canonical (padded, padding only at the end, unused bits zero: what every encoder writes) it is
   * the result, else it is decoded and encoded again, so the bytes are the same either way.
   * Attachments are the largest part of most requests.
   */
  static byte[] canonicalBase64(String value) {
    // one bulk copy to bytes, then a loop over them (cheaper than charAt per character): anything
    // beyond ISO-8859-1 becomes '?' and anything beyond ASCII negative, both refused below
    byte[] raw = value.getBytes(StandardCharsets.ISO_8859_1);
    int n = raw.length;
    byte[] clean = raw;
    int len = 0;
    int padding = 0;
    boolean misplacedPadding = false;
    for (int i = 0; i < n; i++) {
      int c = raw[i];
      byte kind = c >= 0 ? BASE64_CLASS[c] : -1;
      if (kind < 0) {
        throw new IllegalArgumentException("not base64");
      }
      if (kind == 2) {
        continue;
      }
      if (kind == 1) {
        padding++;
      } else if (padding > 0) {
        misplacedPadding = true;
      }
      clean[len++] = c == '-' ? (byte) '+' : c == '_' ? (byte) '/' : (byte) c;
    }
    if (len % 4 == 1) {
      throw new IllegalArgumentException("truncated base64");
    }
    byte[] text = len == n ? clean : Arrays.copyOf(clean, len);
    if (len % 4 == 0 && padding <= 2 && !misplacedPadding && unusedBitsZero(text, padding)) {
      return text;
    }
    return Base64.getEncoder().encode(Base64.getDecoder().decode(text));
  }

  /** Decodes base64 as strictly as {@link #canonicalBase64} checks it. */
  static byte[] decodeBase64(String value) {
    return Base64.getDecoder().decode(canonicalBase64(value));
  }

  /** Whether the last data character's bits that padding leaves unused are zero. */
  private static boolean unusedBitsZero(byte[] text, int padding) {
    if (padding == 0) {
      return true;
    }
    int last = BASE64_VALUE[text[text.length - padding - 1]];
    return (last & (padding == 2 ? 0x0f : 0x03)) == 0;
  }

  /**
   * Tags as every send path takes them (JSON {@code tags}, the {@code X-Postwire-Tag} header
   * field): at most 20, each 1 to 100 characters. {@code field} names them in a refusal.
   */
  static List<String> tags(List<String> tags, String field) {
    if (tags == null) {
      return List.of();
    }
    if (tags.size() > MAX_TAGS) {
      throw Refusal.field("validation_failed", field, "at most " + MAX_TAGS + " tags");
    }
    for (int i = 0; i < tags.size(); i++) {
      String tag = tags.get(i);
      if (tag == null || tag.isBlank() || tag.length() > 100) {
        throw Refusal.field("validation_failed", field + "[" + i + "]", "1 to 100 characters");
      }
    }
    return List.copyOf(tags);
  }

  /**
   * Metadata as every send path takes it, as its JSON text (null when there is none): at most
   * 10,000 characters. {@code field} names it in a refusal.
   */
  String metadata(Map<String, ?> metadata, String field) {
    if (metadata == null || metadata.isEmpty()) {
      return null;
    }
    try {
      String json = mapper.writeValueAsString(metadata);
      if (json.length() > 10_000) {
        throw Refusal.field("validation_failed", field, "at most 10000 characters as JSON");
      }
      return json;
    } catch (JsonProcessingException e) {
      throw Refusal.field("validation_failed", field, "is not valid");
    }
  }

  static Instant time(String value, String field) {
    if (value == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      throw Refusal.field("validation_failed", field, "must be an RFC 3339 timestamp");
    }
  }
}

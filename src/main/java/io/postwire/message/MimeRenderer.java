package io.postwire.message;

import io.postwire.domain.Mailbox;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.internet.ParameterList;
import jakarta.mail.internet.ParseException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Renders a validated message to the exact bytes that are signed and sent (API.md, "Message
 * content"): CRLF line ends only, lines of at most 998 octets, 7-bit clean, and a declared charset
 * that matches the bytes.
 *
 * <ul>
 *   <li>Text and html bodies are UTF-8. A body that is ASCII with short lines goes as {@code 7bit};
 *       any other as {@code quoted-printable}. LF, CR and CRLF line ends all become CRLF.
 *   <li>Attachments and inline parts are {@code base64} in lines of 76 characters.
 *   <li>Header fields are folded; unstructured values that are not plain ASCII, or that hold a word
 *       too long to fold, become RFC 2047 encoded words, which can be split.
 * </ul>
 *
 * <p>Structure: {@code mixed[ related[ alternative[text, html], inline… ], attachment… ]}, each
 * level present only when needed; an html-only message is {@code text/html}. Bcc recipients never
 * appear in any header. Jakarta Mail supplies the RFC 2047 and RFC 2231 encoders; the structure and
 * the quoted-printable bodies are written here (in one pass over the bytes: Jakarta Mail's encoding
 * stream, one call per byte, was the costliest method of the renderer), so every byte is the one
 * intended.
 */
@ApplicationScoped
public class MimeRenderer {

  /**
   * Jakarta Mail 2.1 resolves its {@code StreamProvider} in every encoder call; without this
   * property each call is a ServiceLoader scan of the class path. Naming Angus's implementation
   * skips the scan; a value the operator set wins.
   */
  static final String STREAM_PROVIDER_PROPERTY = "jakarta.mail.util.StreamProvider";

  static final String ANGUS_STREAM_PROVIDER = "org.eclipse.angus.mail.util.MailStreamProvider";

  /** RFC 5322 §2.1.1: a line is at most 998 octets without its CRLF. */
  static final int MAX_LINE = 998;

  /**
   * The longest whitespace-free run an unstructured header value may hold unencoded: folding
   * happens only at whitespace, so a longer run would make an over-long line.
   */
  private static final int MAX_UNFOLDABLE = 900;

  private static final byte[] CRLF = {'\r', '\n'};

  private static final SecureRandom RANDOM = new SecureRandom();

  static {
    if (System.getProperty(STREAM_PROVIDER_PROPERTY) == null) {
      System.setProperty(STREAM_PROVIDER_PROPERTY, ANGUS_STREAM_PROVIDER);
    }
  }

  /** The rendered message and the Message-ID it carries. */
  public record Rendered(byte[] bytes, String messageId) {}

  public Rendered render(ValidatedMessage m, Date date) {
    return render(m, date, null);
  }

  /**
   * Renders with one-click unsubscribe (RFC 8058 §3.1) when {@code listUnsubscribe} is given: that
   * {@code List-Unsubscribe} value (ASCII URIs in angle brackets) and {@code List-Unsubscribe-Post:
   * List-Unsubscribe=One-Click}, both among the fields the DKIM signer signs.
   */
  public Rendered render(ValidatedMessage m, Date date, String listUnsubscribe) {
    String messageId = "<" + UUID.randomUUID() + "@" + m.from().domain() + ">";
    Writer out = new Writer(estimate(m));
    out.header("From", addresses(List.of(m.from())));
    if (m.sender() != null) {
      out.header("Sender", addresses(List.of(m.sender())));
    }
    if (!m.to().isEmpty()) {
      out.header("To", addresses(m.to()));
    }
    if (!m.cc().isEmpty()) {
      out.header("Cc", addresses(m.cc()));
    }
    if (m.replyTo() != null) {
      out.header("Reply-To", addresses(List.of(m.replyTo())));
    }
    if (m.subject() != null) {
      out.header("Subject", unstructured("Subject", m.subject()));
    }
    out.header("Date", new MailDateFormat().format(date));
    out.header("Message-ID", messageId);
    if (listUnsubscribe != null) {
      out.header("List-Unsubscribe", MimeUtility.fold(18, listUnsubscribe));
      out.header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    }
    for (Map.Entry<String, String> header : m.headers().entrySet()) {
      out.header(header.getKey(), unstructured(header.getKey(), header.getValue()));
    }
    out.header("MIME-Version", "1.0");
    out.entity(structure(m));
    return new Rendered(out.bytes(), messageId);
  }

  /**
   * An unstructured header value (RFC 5322 §3.2.5) ready to follow {@code name: }: folded at
   * whitespace, or as RFC 2047 encoded words when it is not printable ASCII, could be mistaken for
   * encoded words, or has a run too long to fold.
   */
  static String unstructured(String name, String value) {
    return MimeUtility.fold(name.length() + 2, plain(value) ? value : encodedWords(value));
  }

  /**
   * RFC 2047 "B" encoded words of UTF-8, at most 45 octets (60 base64 characters) each so a word
   * stays within 75 characters, never splitting a character (§5: each word must decode alone);
   * separated by spaces, which folding turns into line breaks and decoding drops.
   */
  static String encodedWords(String value) {
    StringBuilder out = new StringBuilder(value.length() * 2);
    ByteArrayOutputStream word = new ByteArrayOutputStream(45);
    int i = 0;
    while (i < value.length()) {
      int cp = value.codePointAt(i);
      byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
      if (word.size() + utf8.length > 45) {
        appendWord(out, word);
      }
      word.writeBytes(utf8);
      i += Character.charCount(cp);
    }
    appendWord(out, word);
    return out.toString();
  }

  private static void appendWord(StringBuilder out, ByteArrayOutputStream word) {
    if (word.size() == 0) {
      return;
    }
    if (out.length() > 0) {
      out.append(' ');
    }
    out.append("=?UTF-8?B?")
        .append(Base64.getEncoder().encodeToString(word.toByteArray()))
        .append("?=");
    word.reset();
  }

  private static boolean plain(String value) {
    if (value.contains("=?")) {
      return false;
    }
    int run = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == ' ' || c == '\t') {
        run = 0;
      } else if (c < 32 || c >= 127 || ++run > MAX_UNFOLDABLE) {
        return false;
      }
    }
    return true;
  }

  private static String addresses(List<Mailbox> mailboxes) {
    InternetAddress[] list =
        mailboxes.stream().map(Mailbox::toInternetAddress).toArray(InternetAddress[]::new);
    // the offset is where the value starts on its line ("Reply-To: " is the longest name here)
    return InternetAddress.toString(list, 10);
  }

  private static Entity structure(ValidatedMessage m) {
    Entity body = textBody(m);
    List<Entity> inline = new ArrayList<>();
    List<Entity> attached = new ArrayList<>();
    for (ValidatedMessage.Part part : m.attachments()) {
      if (part.contentId() != null) {
        inline.add(filePart(part, true));
      } else {
        attached.add(filePart(part, false));
      }
    }
    if (!inline.isEmpty()) {
      List<Entity> related = new ArrayList<>();
      related.add(body);
      related.addAll(inline);
      body = Entity.multipart("related", related);
    }
    if (attached.isEmpty()) {
      return body;
    }
    List<Entity> mixed = new ArrayList<>();
    mixed.add(body);
    mixed.addAll(attached);
    return Entity.multipart("mixed", mixed);
  }

  private static Entity textBody(ValidatedMessage m) {
    if (m.text() != null && m.html() != null) {
      return Entity.multipart(
          "alternative", List.of(text(m.text(), "plain"), text(m.html(), "html")));
    }
    return m.text() != null ? text(m.text(), "plain") : text(m.html(), "html");
  }

  /** A UTF-8 text part: 7bit when it is ASCII in short lines, else quoted-printable. */
  static Entity text(String content, String subtype) {
    byte[] crlf = crlfLines(content).getBytes(StandardCharsets.UTF_8);
    boolean sevenBit = sevenBit(crlf);
    byte[] body = sevenBit ? crlf : quotedPrintable(crlf);
    List<String[]> headers =
        List.of(
            new String[] {"Content-Type", "text/" + subtype + "; charset=UTF-8"},
            new String[] {"Content-Transfer-Encoding", sevenBit ? "7bit" : "quoted-printable"});
    return new Entity(headers, body, null, List.of());
  }

  /** Every LF, CR or CRLF becomes CRLF; the text between line ends is copied in runs. */
  static String crlfLines(String s) {
    StringBuilder out = null;
    int run = 0;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n') {
        i++;
        continue;
      }
      if (c == '\r' || c == '\n') {
        if (out == null) {
          out = new StringBuilder(n + n / 32 + 2);
        }
        out.append(s, run, i).append("\r\n");
        run = i + 1;
      }
    }
    if (out == null) {
      return s;
    }
    return out.append(s, run, n).toString();
  }

  /** ASCII without NUL, every line at most 998 octets (the input's line ends are CRLF). */
  private static boolean sevenBit(byte[] crlf) {
    int line = 0;
    for (byte b : crlf) {
      if (b < 0 || b == 0) {
        return false;
      }
      if (b == '\n') {
        line = 0;
      } else if (b != '\r' && ++line > MAX_LINE) {
        return false;
      }
    }
    return true;
  }

  /** The longest encoded line, the soft line break's {@code =} included (RFC 2045 section 6.7). */
  static final int QP_LINE = 76;

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

  /**
   * Quoted-printable (RFC 2045 section 6.7) of text whose line ends are CRLF, in one pass: CRLF
   * stays a line break; printable ASCII but {@code =} stays as it is, and so do space and tab
   * unless a line break or the end follows them; everything else is {@code =XX}; a soft line break
   * ({@code =} CRLF) keeps every line at most {@link #QP_LINE} octets.
   */
  static byte[] quotedPrintable(byte[] crlf) {
    int n = crlf.length;
    byte[] out = new byte[n + n / 8 + 16];
    int len = 0;
    int col = 0;
    for (int i = 0; i < n; i++) {
      int b = crlf[i] & 0xff;
      if (out.length - len < 8) {
        out = Arrays.copyOf(out, out.length + out.length / 2 + 16);
      }
      if (b == '\r' && i + 1 < n && crlf[i + 1] == '\n') {
        out[len++] = '\r';
        out[len++] = '\n';
        col = 0;
        i++;
        continue;
      }
      boolean literal;
      if (b == ' ' || b == '\t') {
        literal = i + 1 < n && !(crlf[i + 1] == '\r' && i + 2 < n && crlf[i + 2] == '\n');
      } else {
        literal = b >= 33 && b <= 126 && b != '=';
      }
      int width = literal ? 1 : 3;
      if (col + width > QP_LINE - 1) {
        out[len++] = '=';
        out[len++] = '\r';
        out[len++] = '\n';
        col = 0;
      }
      if (literal) {
        out[len++] = (byte) b;
      } else {
        out[len++] = '=';
        out[len++] = HEX[b >> 4];
        out[len++] = HEX[b & 0xf];
      }
      col += width;
    }
    return Arrays.copyOf(out, len);
  }

  private static Entity filePart(ValidatedMessage.Part p, boolean inline) {
    List<String[]> headers = new ArrayList<>();
    String contentType;
    String disposition;
    try {
      ContentType type = new ContentType(p.contentType());
      ParameterList typeParameters =
          type.getParameterList() == null ? new ParameterList() : type.getParameterList();
      // RFC 2231 for non-ASCII names, split into continuations when long
      typeParameters.set("name", p.filename(), "UTF-8");
      String base = type.getBaseType();
      contentType = base + typeParameters.toString(14 + base.length());
      ParameterList dispositionParameters = new ParameterList();
      dispositionParameters.set("filename", p.filename(), "UTF-8");
      String kind = inline ? "inline" : "attachment";
      disposition = kind + dispositionParameters.toString(21 + kind.length());
    } catch (ParseException e) {
      throw new IllegalStateException("A validated content type failed to render", e);
    }
    headers.add(new String[] {"Content-Type", contentType});
    headers.add(new String[] {"Content-Transfer-Encoding", "base64"});
    headers.add(new String[] {"Content-Disposition", disposition});
    if (p.contentId() != null) {
      headers.add(new String[] {"Content-ID", "<" + p.contentId() + ">"});
    }
    return new Entity(headers, lines(p.base64()), null, List.of());
  }

  /**
   * One-line base64 broken into lines of 76 characters with CRLF between them (RFC 2045 §6.8), byte
   * for byte what the JDK's MIME encoder writes.
   */
  static byte[] lines(byte[] base64) {
    int n = base64.length;
    int breaks = n == 0 ? 0 : (n - 1) / 76;
    byte[] out = new byte[n + 2 * breaks];
    int o = 0;
    for (int i = 0; i < n; i += 76) {
      if (i > 0) {
        out[o++] = '\r';
        out[o++] = '\n';
      }
      int len = Math.min(76, n - i);
      System.arraycopy(base64, i, out, o, len);
      o += len;
    }
    return out;
  }

  private static int estimate(ValidatedMessage m) {
    long size = 2048;
    size += m.text() == null ? 0 : m.text().length() * 3L;
    size += m.html() == null ? 0 : m.html().length() * 3L;
    for (ValidatedMessage.Part p : m.attachments()) {
      size += p.base64().length + p.base64().length / 38 + 256;
    }
    return (int) Math.min(size, 64 * 1024 * 1024);
  }

  /**
   * One MIME entity: a leaf with its encoded body, or a multipart with its children. A leaf's body
   * does not end in the CRLF that follows it; the writer adds that (RFC 2046 §5.1.1: the CRLF
   * before a boundary belongs to the boundary).
   */
  record Entity(List<String[]> headers, byte[] body, String boundary, List<Entity> parts) {

    static Entity multipart(String subtype, List<Entity> parts) {
      byte[] random = new byte[12];
      RANDOM.nextBytes(random);
      // "=_" cannot occur in quoted-printable or base64 output
      String boundary = "=_pw_" + HexFormat.of().formatHex(random);
      List<String[]> headers =
          List.<String[]>of(
              new String[] {
                "Content-Type", "multipart/" + subtype + ";\r\n\tboundary=\"" + boundary + "\""
              });
      return new Entity(headers, null, boundary, parts);
    }
  }

  /** Writes header fields and entities; every line it writes ends in CRLF. */
  private static final class Writer {
    private final ByteArrayOutputStream out;

    Writer(int size) {
      this.out = new ByteArrayOutputStream(size);
    }

    void header(String name, String value) {
      ascii(name);
      ascii(": ");
      ascii(value);
      out.writeBytes(CRLF);
    }

    void entity(Entity e) {
      for (String[] h : e.headers()) {
        header(h[0], h[1]);
      }
      out.writeBytes(CRLF);
      body(e);
      out.writeBytes(CRLF);
    }

    private void body(Entity e) {
      if (e.boundary() == null) {
        out.writeBytes(e.body());
        return;
      }
      for (Entity part : e.parts()) {
        ascii("--" + e.boundary());
        out.writeBytes(CRLF);
        entity(part);
      }
      ascii("--" + e.boundary() + "--");
    }

    private void ascii(String s) {
      // checked first, then written in one call: ByteArrayOutputStream.write(int) takes a lock
      // for every byte
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c >= 128) {
          throw new UncheckedIOException(
              new IOException("non-ASCII character in a header field: U+" + (int) c));
        }
      }
      out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}

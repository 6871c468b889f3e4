package io.postwire.check;

import com.google.common.net.InternetDomainName;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.ParseException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.parser.ParseError;
import org.jsoup.parser.Parser;

/**
 * The content findings of the pre-send check and the inbox test, from a message's bytes alone: the
 * MIME structure, the text and html it decodes to (HTML parsed by jsoup's HTML5 parser, never by
 * regular expressions), its links, size and headers. Pure and deterministic; parsing a large
 * message takes time, so callers run it on a worker thread, never on the event loop.
 *
 * <p>The codes: {@code mime_invalid} (error), {@code html_invalid} (warning), {@code
 * missing_text_part} (warning), {@code image_only} (warning), {@code link_text_mismatch} (error),
 * {@code url_shortener} (warning), {@code gmail_clipping} (warning), {@code large_message}
 * (warning), {@code missing_list_unsubscribe} (error, only for bulk mail).
 */
public final class ContentChecks {

  /** Gmail clips a message whose HTML is larger than 102 KB (here 102 × 1024 octets of UTF-8). */
  public static final int GMAIL_CLIP_BYTES = 102 * 1024;

  /** Over 10 MB (10,000,000 octets) with attachments, many receivers refuse a message. */
  public static final long LARGE_MESSAGE_BYTES = 10_000_000L;

  /** Fewer characters of visible text than this beside images: an image-only message. */
  public static final int IMAGE_ONLY_TEXT = 200;

  /** RFC 5322 §2.1.1: a line is at most 998 octets, CRLF excluded. */
  static final int MAX_LINE = 998;

  /** The most HTML parse errors reported in one finding. */
  private static final int MAX_HTML_ERRORS = 20;

  /** The URL shorteners flagged by {@code url_shortener} (host names, without {@code www.}). */
  public static final Set<String> URL_SHORTENERS =
      Set.of(
          "bit.ly",
          "tinyurl.com",
          "t.co",
          "goo.gl",
          "ow.ly",
          "is.gd",
          "buff.ly",
          "rebrand.ly",
          "cutt.ly",
          "shorturl.at",
          "tiny.cc",
          "rb.gy",
          "t.ly",
          "v.gd",
          "s.id",
          "bl.ink",
          "lnkd.in",
          "adf.ly",
          "shorte.st",
          "soo.gd",
          "clck.ru",
          "qr.net",
          "bitly.com");

  /** Text that shows a domain: a bare host name, or a URL. */
  private static final Pattern SHOWN_DOMAIN =
      Pattern.compile(
          "^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\\s]+@)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+"
              + "[a-z]{2,63})\\.?(?::\\d+)?(?:[/?#]\\S*)?$",
          Pattern.CASE_INSENSITIVE);

  private static final Pattern TEXT_URL =
      Pattern.compile("https?://[^\\s<>\"')\\]]+", Pattern.CASE_INSENSITIVE);

  private static final Session SESSION = Session.getInstance(new Properties());

  private ContentChecks() {}

  /**
   * What a message is made of, as decoded: its size, its text and html (null when absent), whether
   * it carries attachments, and the content findings.
   */
  public record Content(
      int bytes,
      boolean clipsInGmail,
      String text,
      String html,
      boolean attachments,
      List<Finding> findings) {}

  /** The content findings of a message as it would go out (not bulk mail). */
  public static List<Finding> check(byte[] rendered) {
    return inspect(rendered, false).findings();
  }

  /**
   * The content findings of a message as it would go out; {@code bulk}: the sender says it is bulk
   * mail, which must carry List-Unsubscribe (RFC 8058).
   */
  public static List<Finding> check(byte[] rendered, boolean bulk) {
    return inspect(rendered, bulk).findings();
  }

  /** A message's decoded content with its findings (see {@link #check(byte[], boolean)}). */
  public static Content inspect(byte[] rendered, boolean bulk) {
    List<Finding> findings = new ArrayList<>();
    Parts parts = new Parts();
    String structure = structureProblem(rendered);
    MimeMessage message = null;
    if (structure == null) {
      try {
        message = new MimeMessage(SESSION, new ByteArrayInputStream(rendered));
        walk(message, parts, 0);
      } catch (MessagingException | IOException | RuntimeException e) {
        structure = "the message cannot be parsed as MIME: " + e.getMessage();
      }
    }
    if (structure != null) {
      findings.add(
          Finding.error(
              "mime_invalid",
              "message",
              structure,
              "Build the message with a MIME library (RFC 2045/2046); close every multipart with"
                  + " its boundary"));
      return new Content(rendered.length, false, null, null, false, List.copyOf(findings));
    }
    boolean clips =
        parts.html != null && parts.html.getBytes(StandardCharsets.UTF_8).length > GMAIL_CLIP_BYTES;
    if (parts.html != null) {
      html(parts.html, parts.text == null, findings);
    }
    if (parts.text != null) {
      textLinks(parts.text, findings);
    }
    if (clips) {
      findings.add(
          Finding.warning(
              "gmail_clipping",
              "html",
              "The HTML is "
                  + parts.html.getBytes(StandardCharsets.UTF_8).length
                  + " bytes: Gmail shows only the first 102 KB and hides the rest (and any open"
                  + " pixel and unsubscribe link there) behind \"View entire message\"",
              "Keep the HTML under 102 KB: inline less CSS, remove unused markup, link to"
                  + " content instead of embedding it"));
    }
    if (parts.attachments && rendered.length > LARGE_MESSAGE_BYTES) {
      findings.add(
          Finding.warning(
              "large_message",
              "attachments",
              "The message is "
                  + rendered.length
                  + " bytes with its attachments: many receivers refuse messages over 10 MB",
              "Link to large files instead of attaching them"));
    }
    if (bulk && !hasHeader(message, "List-Unsubscribe")) {
      findings.add(
          Finding.error(
              "missing_list_unsubscribe",
              "headers.List-Unsubscribe",
              "Bulk mail without a List-Unsubscribe header: Gmail and Yahoo require one (with"
                  + " List-Unsubscribe-Post, RFC 8058) from bulk senders",
              "Add List-Unsubscribe: <https://…>, <mailto:…> and List-Unsubscribe-Post:"
                  + " List-Unsubscribe=One-Click"));
    }
    return new Content(
        rendered.length, clips, parts.text, parts.html, parts.attachments, List.copyOf(findings));
  }

  private static boolean hasHeader(MimeMessage message, String name) {
    try {
      String[] values = message.getHeader(name);
      return values != null && values.length > 0 && !values[0].isBlank();
    } catch (MessagingException e) {
      return false;
    }
  }

  /** The decoded text and html (the first of each that is no attachment) and any attachment. */
  private static final class Parts {
    String text;
    String html;
    boolean attachments;
  }

  private static void walk(Part part, Parts parts, int depth)
      throws MessagingException, IOException {
    if (depth > 20) {
      throw new MessagingException("multiparts nested more than 20 deep");
    }
    ContentType type = new ContentType(part.getContentType());
    String disposition = part.getDisposition();
    boolean attached =
        Part.ATTACHMENT.equalsIgnoreCase(disposition)
            || (part.getFileName() != null && !type.match("multipart/*"));
    if (type.match("multipart/*")) {
      if (type.getParameter("boundary") == null) {
        throw new MessagingException("a multipart without a boundary parameter");
      }
      Multipart multipart = (Multipart) part.getContent();
      for (int i = 0; i < multipart.getCount(); i++) {
        BodyPart child = multipart.getBodyPart(i);
        walk(child, parts, depth + 1);
      }
    } else if (!attached && type.match("text/plain") && parts.text == null) {
      parts.text = text(part);
    } else if (!attached && type.match("text/html") && parts.html == null) {
      parts.html = text(part);
    } else if (!type.match("message/*") || attached) {
      parts.attachments = true;
    }
  }

  private static String text(Part part) throws MessagingException, IOException {
    Object content = part.getContent();
    if (content instanceof String s) {
      return s;
    }
    try (InputStream in = part.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * What makes the bytes no valid message before any MIME parser is asked (parsers are lenient and
   * would hide it): a line over 998 octets, a header without a colon, and a multipart whose
   * boundary never opens or never closes.
   */
  static String structureProblem(byte[] b) {
    int start = 0;
    int line = 1;
    boolean inHeader = true;
    for (int i = 0; i <= b.length; i++) {
      if (i == b.length || b[i] == '\n') {
        int end = i > start && b[i - 1] == '\r' ? i - 1 : i;
        if (end - start > MAX_LINE) {
          return "line " + line + " is " + (end - start) + " octets; at most 998 are allowed";
        }
        if (inHeader) {
          if (end == start) {
            inHeader = false;
          } else if (b[start] != ' ' && b[start] != '\t' && indexOf(b, start, end, ':') < 0) {
            return "header line " + line + " is no field (no colon)";
          }
        }
        start = i + 1;
        line++;
      }
    }
    if (inHeader) {
      return "the message has no empty line ending its header";
    }
    return boundaries(b);
  }

  /** Every multipart boundary declared must open a part and close the multipart (RFC 2046 §5.1). */
  private static String boundaries(byte[] b) {
    String text = new String(b, StandardCharsets.ISO_8859_1);
    Matcher declared =
        Pattern.compile(
                "^Content-Type:[ \\t]*multipart/[^\\r\\n]*(?:\\r?\\n[ \\t][^\\r\\n]*)*",
                Pattern.CASE_INSENSITIVE | Pattern.MULTILINE)
            .matcher(text);
    Set<String> seen = new LinkedHashSet<>();
    while (declared.find()) {
      String field = declared.group().replaceAll("\\r?\\n[ \\t]", " ");
      String boundary;
      try {
        boundary =
            new ContentType(field.substring(field.indexOf(':') + 1).trim())
                .getParameter("boundary");
      } catch (ParseException e) {
        return "a multipart Content-Type cannot be parsed: " + e.getMessage();
      }
      if (boundary == null) {
        return "a multipart Content-Type has no boundary parameter";
      }
      if (!seen.add(boundary)) {
        continue;
      }
      if (!Pattern.compile("(?m)^--" + Pattern.quote(boundary) + "[ \\t]*\\r?$")
          .matcher(text)
          .find()) {
        return "the multipart boundary \"" + boundary + "\" never opens a part";
      }
      if (!Pattern.compile("(?m)^--" + Pattern.quote(boundary) + "--").matcher(text).find()) {
        return "the multipart boundary \"" + boundary + "\" is never closed";
      }
    }
    return null;
  }

  private static int indexOf(byte[] b, int from, int to, char c) {
    for (int i = from; i < to; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static void html(String html, boolean noText, List<Finding> findings) {
    Parser parser = Parser.htmlParser().setTrackErrors(MAX_HTML_ERRORS);
    Document doc = Jsoup.parse(html, "", parser);
    List<ParseError> errors = parser.getErrors();
    if (!errors.isEmpty()) {
      List<String> shown = new ArrayList<>();
      for (ParseError error : errors.subList(0, Math.min(3, errors.size()))) {
        shown.add(error.getCursorPos() + " " + error.getErrorMessage());
      }
      findings.add(
          Finding.warning(
              "html_invalid",
              "html",
              errors.size()
                  + (errors.size() >= MAX_HTML_ERRORS ? " or more" : "")
                  + " HTML parse error(s), such as unclosed or misnested tags: "
                  + String.join("; ", shown),
              "Close every element and close them in the order they were opened; validate the"
                  + " HTML"));
    }
    if (noText) {
      findings.add(
          Finding.warning(
              "missing_text_part",
              "text",
              "The message has HTML but no plain-text alternative",
              "Add a text version (\"text\" beside \"html\", or a multipart/alternative text/plain"
                  + " part)"));
    }
    String visible = doc.body() == null ? "" : doc.body().text().strip();
    if (!doc.select("img").isEmpty()
        && visible.codePointCount(0, visible.length()) < IMAGE_ONLY_TEXT) {
      findings.add(
          Finding.warning(
              "image_only",
              "html",
              "The HTML is images with "
                  + visible.codePointCount(0, visible.length())
                  + " characters of text: filters treat image-only mail as spam, and many clients"
                  + " block images",
              "Say in text what the images say: at least " + IMAGE_ONLY_TEXT + " characters"));
    }
    Set<String> mismatched = new LinkedHashSet<>();
    Set<String> shorteners = new LinkedHashSet<>();
    for (Element a : doc.select("a[href]")) {
      String hrefHost = host(a.attr("href"));
      if (hrefHost == null) {
        continue;
      }
      if (URL_SHORTENERS.contains(hrefHost)) {
        shorteners.add(hrefHost);
      }
      String shown = shownDomain(a.text());
      if (shown != null && !sameSite(shown, hrefHost)) {
        mismatched.add(shown + " → " + hrefHost);
      }
    }
    if (!mismatched.isEmpty()) {
      findings.add(
          Finding.error(
              "link_text_mismatch",
              "html",
              "Link text shows another domain than the link goes to: "
                  + String.join(", ", mismatched),
              "Make each link's text show the domain it points to, or use words rather than a"
                  + " domain as its text"));
    }
    shorteners(shorteners, "html", findings);
  }

  private static void textLinks(String text, List<Finding> findings) {
    Set<String> shorteners = new LinkedHashSet<>();
    Matcher m = TEXT_URL.matcher(text);
    while (m.find()) {
      String host = host(m.group());
      if (host != null && URL_SHORTENERS.contains(host)) {
        shorteners.add(host);
      }
    }
    // the html's finding already names them: one finding per code
    if (findings.stream().noneMatch(f -> f.code().equals("url_shortener"))) {
      shorteners(shorteners, "text", findings);
    }
  }

  private static void shorteners(Set<String> hosts, String field, List<Finding> findings) {
    if (!hosts.isEmpty()) {
      findings.add(
          Finding.warning(
              "url_shortener",
              field,
              "Links through URL shorteners ("
                  + String.join(", ", hosts)
                  + "): spammers hide"
                  + " destinations behind them, and filters and blocklists score them",
              "Link to the destination on your own domain"));
    }
  }

  /** The host of an http(s) URL, lower case, without {@code www.}; null for anything else. */
  static String host(String url) {
    try {
      URI uri = new URI(url.strip());
      String scheme = uri.getScheme();
      if (scheme == null
          || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          || uri.getHost() == null) {
        return null;
      }
      return withoutWww(uri.getHost().toLowerCase(Locale.ROOT));
    } catch (Exception e) {
      return null;
    }
  }

  /** The domain a link's text shows (a host name under a public suffix), or null. */
  static String shownDomain(String text) {
    Matcher m = SHOWN_DOMAIN.matcher(text.strip());
    if (!m.matches()) {
      return null;
    }
    String host = withoutWww(m.group(1).toLowerCase(Locale.ROOT));
    try {
      return InternetDomainName.from(host).isUnderPublicSuffix() ? host : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Whether two hosts belong to the same registrable domain (DMARC's organizational domain). */
  static boolean sameSite(String a, String b) {
    return organizational(a).equals(organizational(b));
  }

  /**
   * The organizational domain (RFC 7489 §3.2) after the public suffix list; the name itself when it
   * is under no known suffix.
   */
  public static String organizational(String domain) {
    String d = domain.toLowerCase(Locale.ROOT);
    if (d.endsWith(".")) {
      d = d.substring(0, d.length() - 1);
    }
    try {
      InternetDomainName name = InternetDomainName.from(d);
      return name.isUnderPublicSuffix() ? name.topPrivateDomain().toString() : d;
    } catch (IllegalArgumentException | IllegalStateException e) {
      return d;
    }
  }

  private static String withoutWww(String host) {
    return host.startsWith("www.") ? host.substring(4) : host;
  }
}

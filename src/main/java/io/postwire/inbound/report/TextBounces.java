package io.postwire.inbound.report;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads bounces that carry no RFC 3464 delivery-status part (qmail, older Exim and Exchange,
 * assorted appliances) from their human-readable text: the addresses the text shows as failed, the
 * SMTP reply (RFC 5321 section 4.2) or enhanced status code (RFC 3463) near each, and whether
 * delivery was given up or only delayed.
 *
 * <p>Strict about what counts as a bounce (a known bounce text, or a bounce subject together with a
 * daemon sender or an SMTP reply in the text, or Exim's {@code X-Failed-Recipients}) so that
 * vacation replies and human mail are never taken for bounces. The copy of the original that
 * bounces append is cut off first, so its addresses are never reported.
 */
final class TextBounces {

  /** Characters of human-readable text read at most. */
  static final int MAX_TEXT = 256 * 1024;

  /** Lines of text examined at most, and the longest line examined. */
  static final int MAX_LINES = 10_000;

  static final int MAX_LINE = 2000;

  /** Recipients reported from a text at most (texts list few; the rest is noise). */
  static final int MAX_TEXT_RECIPIENTS = 100;

  private static final List<String> BODY_MARKERS =
      List.of(
          "this is the qmail-send program",
          "i'm afraid i wasn't able to deliver your message",
          "this message was created automatically by mail delivery software",
          "a message that you sent could not be delivered",
          "a message that you sent has not yet been delivered",
          "delivery has failed to these recipients",
          "delivery to these recipients or groups is delayed",
          "your message couldn't be delivered",
          "your message could not be delivered",
          "your message wasn't delivered",
          "could not be delivered to one or more",
          "the following address(es) failed",
          "the following addresses had permanent fatal errors",
          "the following addresses had delivery problems",
          "the following recipient(s) could not be reached",
          "did not reach the following recipient",
          "delivery to the following recipient failed",
          "delivery to the following recipients failed",
          "this is the mail system at host",
          "message could not be delivered",
          "unable to deliver your message",
          "undeliverable to the following");

  private static final List<String> SUBJECT_PREFIXES =
      List.of(
          "undeliverable",
          "undelivered mail",
          "undeliverable mail",
          "mail delivery failed",
          "mail delivery failure",
          "delivery status notification",
          "delivery failure",
          "delivery failed",
          "delivery notification",
          "returned mail",
          "failure notice",
          "failed delivery",
          "message not delivered",
          "mail system error",
          "could not send message",
          "warning: could not send message",
          "delayed mail",
          "delivery delayed",
          "unzustellbar",
          "nicht zustellbar",
          "non remis",
          "non recapitabile",
          "no se puede entregar");

  private static final List<String> COPY_MARKERS =
      List.of(
          "below this line is a copy of the message",
          "this is a copy of the message",
          "original message follows",
          "original message headers",
          "----- original message -----",
          "header of the original message",
          "headers of the original message");

  private static final List<String> DELAY_MARKERS =
      List.of(
          "has not yet been delivered",
          "not been delivered yet",
          "is delayed",
          "delivery delayed",
          "will continue trying",
          "will keep trying",
          "will retry",
          "still trying",
          "delivery attempts will continue",
          "(delay)");

  private static final List<String> PERMANENT_MARKERS =
      List.of(
          "permanent",
          "given up",
          "gave up",
          "giving up",
          "could not be delivered for",
          "will be deleted",
          "fatal",
          "failed:");

  private static final List<String> HEADER_LINES =
      List.of(
          "message-id:",
          "in-reply-to:",
          "references:",
          "return-path:",
          "received:",
          "from:",
          "sender:",
          "reply-to:",
          "dkim-signature:",
          "x-");

  private TextBounces() {}

  /**
   * The bounce read from the text, or null when the message does not look like a bounce ({@code
   * forced}: it had a delivery-status part, so it is one even when that part was unreadable).
   */
  static DeliveryReport parse(MimeEntity root, List<MimeEntity> leaves, boolean forced) {
    Headers h = root.headers;
    String subject =
        lower(InboundReports.blankToNull(EncodedWords.decode(Bytes.cap(h.first("subject"), 2000))));
    String failedHeader = h.first("x-failed-recipients");

    List<String> lines = lines(humanText(leaves));
    int copyAt = lines.size();
    for (int i = 0; i < lines.size(); i++) {
      if (containsAny(lower(lines.get(i)), COPY_MARKERS)) {
        copyAt = i;
        break;
      }
    }
    List<String> human = lines.subList(0, copyAt);
    StringBuilder humanLowerBuilder = new StringBuilder();
    for (String line : human) {
      humanLowerBuilder.append(lower(line)).append('\n');
    }
    String humanLower = humanLowerBuilder.toString();

    boolean bodyMarker = containsAny(humanLower, BODY_MARKERS);
    boolean subjectMarker = subject != null && startsWithAny(subject.strip());
    boolean daemonSender = daemonSender(h);
    boolean replyInText = Codes.basic(humanLower) > 0 || Codes.enhanced(humanLower) != null;
    boolean bounce =
        forced
            || bodyMarker
            || failedHeader != null
            || (subjectMarker && (daemonSender || replyInText));
    if (!bounce) {
      return null;
    }

    OriginalMessage original = original(leaves, lines, copyAt);
    Set<String> excluded = excluded(h, original);

    // addresses in text order with the line each first appears on; diagnostics by line
    Map<String, Integer> firstLine = new LinkedHashMap<>();
    Set<String> seen = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    if (failedHeader != null) {
      for (String a : addresses(Bytes.cap(failedHeader, 4 * MAX_LINE))) {
        if (!excluded.contains(a) && seen.add(a) && firstLine.size() < MAX_TEXT_RECIPIENTS) {
          firstLine.put(a, -1);
        }
      }
    }
    List<Integer> diagnosticLines = new ArrayList<>();
    for (int i = 0; i < human.size(); i++) {
      String line = human.get(i);
      String l = lower(line.strip());
      if (Codes.basic(line) > 0 || Codes.enhanced(line) != null) {
        diagnosticLines.add(i);
      }
      if (startsWithAny(l, HEADER_LINES)) {
        continue;
      }
      for (String a : addresses(line)) {
        if (!excluded.contains(a) && seen.add(a) && firstLine.size() < MAX_TEXT_RECIPIENTS) {
          firstLine.put(a, i);
        } else if (firstLine.containsKey(a) && firstLine.get(a) < 0) {
          firstLine.put(a, i); // named by X-Failed-Recipients: its place in the text
        }
      }
    }

    boolean delayed =
        (containsAny(humanLower, DELAY_MARKERS) || (subject != null && subject.contains("delay")))
            && !containsAny(humanLower, PERMANENT_MARKERS);
    String globalDiagnostic =
        diagnosticLines.isEmpty() ? null : diagnostic(human.get(diagnosticLines.get(0)));

    List<RecipientStatus> recipients = new ArrayList<>();
    List<Map.Entry<String, Integer>> entries = new ArrayList<>(firstLine.entrySet());
    for (int k = 0; k < entries.size(); k++) {
      int from = entries.get(k).getValue();
      int to = human.size();
      for (int m = k + 1; m < entries.size(); m++) {
        int next = entries.get(m).getValue();
        if (next > from) {
          to = next;
          break;
        }
      }
      String diag = null;
      if (from >= 0) {
        for (int line : diagnosticLines) {
          if (line >= from && line < Math.max(to, from + 1)) {
            diag = diagnostic(human.get(line));
            break;
          }
        }
      }
      if (diag == null) {
        diag = globalDiagnostic;
      }
      recipients.add(status(entries.get(k).getKey(), diag, delayed));
    }
    if (recipients.isEmpty()) {
      recipients.add(status(null, globalDiagnostic, delayed));
    }
    return new DeliveryReport(false, null, recipients, original);
  }

  private static RecipientStatus status(String address, String diagnostic, boolean delayed) {
    String status = Codes.status(diagnostic);
    if (status == null) {
      status = delayed ? "4.0.0" : "5.0.0";
    }
    Action action = delayed && status.charAt(0) != '5' ? Action.DELAYED : Action.FAILED;
    return new RecipientStatus(address, null, action, status, diagnostic, null);
  }

  private static String diagnostic(String line) {
    return Bytes.cap(line.strip(), InboundReports.MAX_DIAGNOSTIC);
  }

  /** Text of the text/plain parts (text/html with tags removed when there is none), bounded. */
  private static String humanText(List<MimeEntity> leaves) {
    StringBuilder text = new StringBuilder();
    for (MimeEntity leaf : leaves) {
      if (leaf.type().equals("text/plain") && text.length() < MAX_TEXT) {
        Bytes.appendBounded(text, leaf.text(MAX_TEXT), MAX_TEXT);
        text.append('\n');
      }
    }
    if (text.length() == 0) {
      for (MimeEntity leaf : leaves) {
        if (leaf.type().equals("text/html") && text.length() < MAX_TEXT) {
          Bytes.appendBounded(text, stripTags(leaf.text(MAX_TEXT)), MAX_TEXT);
          text.append('\n');
        }
      }
    }
    return text.toString();
  }

  /** Markup removed in one pass (block tags become line breaks), a few entities undone. */
  static String stripTags(String html) {
    StringBuilder out = new StringBuilder(html.length());
    boolean inTag = false;
    int tagStart = 0;
    for (int i = 0; i < html.length(); i++) {
      char c = html.charAt(i);
      if (inTag) {
        if (c == '>') {
          inTag = false;
          String tag = lower(html.substring(tagStart, Math.min(i, tagStart + 4)));
          if (tag.startsWith("br")
              || tag.startsWith("p")
              || tag.startsWith("/p")
              || tag.startsWith("div")
              || tag.startsWith("/div")
              || tag.startsWith("tr")
              || tag.startsWith("li")) {
            out.append('\n');
          }
        }
      } else if (c == '<') {
        inTag = true;
        tagStart = i + 1;
      } else {
        out.append(c);
      }
    }
    return out.toString()
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&#64;", "@")
        .replace("&amp;", "&");
  }

  private static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    int pos = 0;
    while (pos < text.length() && out.size() < MAX_LINES) {
      int nl = text.indexOf('\n', pos);
      int end = nl < 0 ? text.length() : nl;
      String line = text.substring(pos, Math.min(end, pos + MAX_LINE));
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      out.add(line);
      pos = end + 1;
    }
    return out;
  }

  /**
   * The original: from a message/rfc822 or header part, else from the header block following the
   * copy marker in the text (qmail and Exim append the original inline).
   */
  private static OriginalMessage original(List<MimeEntity> leaves, List<String> lines, int copyAt) {
    for (MimeEntity leaf : leaves) {
      if (InboundReports.isOriginal(leaf.type())) {
        return InboundReports.original(leaf.embeddedHeaders());
      }
    }
    if (copyAt >= lines.size()) {
      return OriginalMessage.NONE;
    }
    StringBuilder copy = new StringBuilder();
    for (int i = copyAt + 1; i < lines.size() && copy.length() < 64 * 1024; i++) {
      copy.append(lines.get(i)).append('\n');
    }
    byte[] b = copy.toString().getBytes(StandardCharsets.UTF_8);
    Headers headers = Headers.read(b, 0, b.length, true);
    return InboundReports.original(headers);
  }

  /** Addresses that are the bounce's own or the original sender's, never a failed recipient. */
  private static Set<String> excluded(Headers h, OriginalMessage original) {
    Set<String> out = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    for (String name : List.of("from", "to", "return-path", "delivered-to", "sender", "reply-to")) {
      String v = h.first(name);
      if (v != null) {
        out.addAll(addresses(Bytes.cap(v, 4 * MAX_LINE)));
      }
    }
    if (original.returnPath() != null) {
      out.addAll(addresses(original.returnPath()));
    }
    if (original.from() != null) {
      out.addAll(addresses(original.from()));
    }
    return out;
  }

  private static boolean daemonSender(Headers h) {
    String from = lower(h.first("from"));
    if (from != null
        && (from.contains("mailer-daemon")
            || from.contains("mail-daemon")
            || from.contains("postmaster")
            || from.contains("mail delivery"))) {
      return true;
    }
    String returnPath = h.first("return-path");
    return returnPath != null && returnPath.replace(" ", "").equals("<>");
  }

  /**
   * Addresses in a line, found around each {@code @} with bounded expansion (64 octets of local
   * part, 255 of domain, RFC 5321 section 4.5.3.1), so a line costs linear work. Daemon and
   * postmaster addresses are left out: they are the bounce's sender, never the failed recipient.
   */
  static List<String> addresses(String line) {
    List<String> out = new ArrayList<>();
    int n = line.length();
    for (int i = 0; i < n && out.size() < MAX_TEXT_RECIPIENTS; i++) {
      if (line.charAt(i) != '@') {
        continue;
      }
      int l = i;
      while (l > 0 && i - l < 64 && isLocal(line.charAt(l - 1))) {
        l--;
      }
      int r = i + 1;
      while (r < n && r - i - 1 < 255 && isDomain(line.charAt(r))) {
        r++;
      }
      while (l < i && line.charAt(l) == '.') {
        l++;
      }
      while (r > i + 1 && (line.charAt(r - 1) == '.' || line.charAt(r - 1) == '-')) {
        r--;
      }
      if (l == i || r <= i + 1) {
        continue;
      }
      String local = line.substring(l, i);
      String domain = line.substring(i + 1, r);
      int dot = domain.indexOf('.');
      if (dot <= 0 || domain.charAt(0) == '-') {
        continue;
      }
      String lp = lower(local);
      if (lp.equals("mailer-daemon")
          || lp.equals("mail-daemon")
          || lp.equals("mailerdaemon")
          || lp.equals("postmaster")) {
        continue;
      }
      out.add(local + "@" + domain);
    }
    return out;
  }

  private static boolean isLocal(char c) {
    return Character.isLetterOrDigit(c) || "!#$%&*+-/=?^_`{|}~.".indexOf(c) >= 0;
  }

  private static boolean isDomain(char c) {
    return Character.isLetterOrDigit(c) || c == '.' || c == '-';
  }

  private static boolean startsWithAny(String s) {
    return startsWithAny(s, SUBJECT_PREFIXES);
  }

  private static boolean startsWithAny(String s, List<String> prefixes) {
    for (String p : prefixes) {
      if (s.startsWith(p)) {
        return true;
      }
    }
    return false;
  }

  private static boolean containsAny(String s, List<String> needles) {
    for (String needle : needles) {
      if (s.contains(needle)) {
        return true;
      }
    }
    return false;
  }

  private static String lower(String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }
}

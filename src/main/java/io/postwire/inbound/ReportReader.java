package io.postwire.inbound;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Reads what a message to a VERP or feedback address is: an RFC 3464 delivery status notification
 * (one {@link Finding.Dsn} per failed or delayed recipient), an RFC 5965 feedback report, a bounce
 * in plain text ({@link TextBounces}), an RFC 3834 automatic reply, or nothing usable. Never
 * throws: hostile or broken input is {@link Finding.Unrecognized}.
 */
@ApplicationScoped
public class ReportReader {

  /** Most per-recipient blocks read from one report. */
  static final int MAX_RECIPIENTS = 100;

  /** Octets of a report part read (the fields come first; a quoted message may follow). */
  static final int MAX_PART = 256 * 1024;

  private static final Session SESSION = Session.getInstance(new Properties());

  /**
   * The findings of {@code content}; {@code mailFrom} is its envelope sender (empty for {@code
   * <>}).
   */
  public List<Finding> read(byte[] content, String mailFrom) {
    try {
      MimeMessage message = new MimeMessage(SESSION, new ByteArrayInputStream(content));
      if (message.isMimeType("multipart/report")) {
        List<Finding> report = report(message);
        if (report != null) {
          return report;
        }
      }
      if (bounceSender(mailFrom, message)) {
        TextBounces.Status status = TextBounces.read(text(message));
        if (status != null) {
          return List.of(new Finding.TextBounce(status));
        }
      }
      if (autoReply(message)) {
        return List.of(new Finding.AutoReply(from(message), message.getSubject()));
      }
      return List.of(new Finding.Unrecognized("neither a report, a bounce nor an auto-reply"));
    } catch (MessagingException | IOException | RuntimeException e) {
      return List.of(new Finding.Unrecognized("unreadable: " + e.getClass().getSimpleName()));
    }
  }

  /** The findings of a multipart/report, or null when its report part is of no known type. */
  private static List<Finding> report(MimeMessage message) throws MessagingException, IOException {
    String type = new ContentType(message.getContentType()).getParameter("report-type");
    if (type == null) {
      return null;
    }
    Multipart parts = (Multipart) message.getContent();
    switch (type.toLowerCase(Locale.ROOT)) {
      case "delivery-status" -> {
        for (int i = 0; i < parts.getCount(); i++) {
          BodyPart part = parts.getBodyPart(i);
          if (part.isMimeType("message/delivery-status")
              || part.isMimeType("message/global-delivery-status")) {
            return dsn(raw(part));
          }
        }
        return List.of(new Finding.Unrecognized("delivery report without its status part"));
      }
      case "feedback-report" -> {
        InternetHeaders fields = null;
        String messageId = null;
        for (int i = 0; i < parts.getCount(); i++) {
          BodyPart part = parts.getBodyPart(i);
          if (part.isMimeType("message/feedback-report")) {
            fields = new InternetHeaders(new ByteArrayInputStream(raw(part)));
          } else if (part.isMimeType("message/rfc822") || part.isMimeType("text/rfc822-headers")) {
            messageId =
                new InternetHeaders(new ByteArrayInputStream(raw(part)))
                    .getHeader("Message-ID", null);
          }
        }
        if (fields == null) {
          return List.of(new Finding.Unrecognized("feedback report without its report part"));
        }
        String feedbackType = fields.getHeader("Feedback-Type", null);
        return List.of(
            new Finding.Complaint(
                feedbackType == null ? "abuse" : feedbackType.strip().toLowerCase(Locale.ROOT),
                address(fields.getHeader("Original-Mail-From", null)),
                address(fields.getHeader("Original-Rcpt-To", null)),
                messageId == null ? null : messageId.strip(),
                fields.getHeader("User-Agent", null)));
      }
      default -> {
        return null;
      }
    }
  }

  /** RFC 3464 §2.1: a per-message block, then one block per recipient. */
  static List<Finding> dsn(byte[] status) throws MessagingException {
    ByteArrayInputStream in = new ByteArrayInputStream(status);
    new InternetHeaders(in); // the per-message fields (Reporting-MTA, …)
    List<Finding> findings = new ArrayList<>();
    // bounded by the blocks kept and by the input: each round reads at least one line
    while (findings.size() < MAX_RECIPIENTS && in.available() > 0) {
      InternetHeaders block = new InternetHeaders(in);
      if (!block.getAllHeaders().hasMoreElements()) {
        continue;
      }
      String action = block.getHeader("Action", null);
      String a = action == null ? "" : action.strip().toLowerCase(Locale.ROOT);
      if (!a.equals("failed") && !a.equals("delayed")) {
        continue;
      }
      findings.add(
          new Finding.Dsn(
              a.equals("failed"),
              typed(block.getHeader("Final-Recipient", null)),
              typed(block.getHeader("Original-Recipient", null)),
              block.getHeader("Status", null) == null
                  ? null
                  : block.getHeader("Status", null).strip().split("[\\s(]", 2)[0],
              typed(block.getHeader("Diagnostic-Code", null)),
              typed(block.getHeader("Remote-MTA", null))));
    }
    return findings.isEmpty()
        ? List.of(new Finding.Unrecognized("delivery report with no failed or delayed recipient"))
        : findings;
  }

  /** The value of a typed field ({@code rfc822; user@example.com} → {@code user@example.com}). */
  static String typed(String field) {
    if (field == null) {
      return null;
    }
    String unfolded = field.replaceAll("\\r?\\n[ \\t]+", " ");
    int semicolon = unfolded.indexOf(';');
    String value = semicolon < 0 ? unfolded : unfolded.substring(semicolon + 1);
    value = value.strip();
    if (value.startsWith("<") && value.endsWith(">")) {
      value = value.substring(1, value.length() - 1);
    }
    return value.isEmpty() ? null : value;
  }

  private static String address(String field) {
    if (field == null) {
      return null;
    }
    String v = field.strip();
    if (v.startsWith("<") && v.endsWith(">")) {
      v = v.substring(1, v.length() - 1);
    }
    return v.isEmpty() ? null : v;
  }

  private static byte[] raw(Part part) throws MessagingException, IOException {
    try (InputStream in = part.getInputStream()) {
      return in.readNBytes(MAX_PART);
    }
  }

  /** A null sender, or a From of the mailer daemon or postmaster. */
  private static boolean bounceSender(String mailFrom, MimeMessage message) {
    if (mailFrom == null || mailFrom.isEmpty()) {
      return true;
    }
    String from = from(message);
    String local = from == null ? "" : from.toLowerCase(Locale.ROOT);
    return local.startsWith("mailer-daemon@") || local.startsWith("postmaster@");
  }

  /** RFC 3834 §5 and the fields and subjects vacation responders use. */
  private static boolean autoReply(MimeMessage message) throws MessagingException {
    String submitted = message.getHeader("Auto-Submitted", null);
    if (submitted != null && !submitted.strip().toLowerCase(Locale.ROOT).startsWith("no")) {
      return true;
    }
    if (message.getHeader("X-Autoreply", null) != null
        || message.getHeader("X-Autorespond", null) != null) {
      return true;
    }
    String precedence = message.getHeader("Precedence", null);
    if (precedence != null && precedence.strip().equalsIgnoreCase("auto_reply")) {
      return true;
    }
    String subject = message.getSubject();
    String s = subject == null ? "" : subject.toLowerCase(Locale.ROOT);
    return s.startsWith("auto:")
        || s.startsWith("automatic reply")
        || s.startsWith("autoreply")
        || s.contains("out of office")
        || s.contains("vacation");
  }

  private static String from(MimeMessage message) {
    try {
      var from = message.getFrom();
      return from == null || from.length == 0 || !(from[0] instanceof InternetAddress a)
          ? null
          : a.getAddress();
    } catch (MessagingException e) {
      return null;
    }
  }

  /** The first text part, or the body, as text (for {@link TextBounces}). */
  private static String text(Part part) throws MessagingException, IOException {
    if (part.isMimeType("multipart/*")) {
      Multipart multipart = (Multipart) part.getContent();
      for (int i = 0; i < multipart.getCount(); i++) {
        String text = text(multipart.getBodyPart(i));
        if (text != null) {
          return text;
        }
      }
      return null;
    }
    if (part.isMimeType("text/*")) {
      try (InputStream in = part.getInputStream()) {
        return new String(in.readNBytes(TextBounces.SCAN_LIMIT), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}

package io.postwire.inbound.report;

import java.util.ArrayList;
import java.util.List;

/**
 * Classifies one inbound message as a delivery report (RFC 3464, or a non-standard bounce read from
 * its text), a feedback report (RFC 5965), an auto-reply (RFC 3834 and vacation conventions) or
 * unrecognized mail.
 *
 * <p>Pure and bounded: no I/O, no exceptions to the caller, work linear in the first {@link
 * #MAX_MESSAGE} octets (beyond which a message is not read), every kept field of bounded length and
 * at most {@link #MAX_RECIPIENTS} recipients. Order matters: a report part wins over everything (a
 * DSN carries {@code Auto-Submitted: auto-replied} yet is no auto-reply, RFC 3464 section 4), then
 * bounce text, and only then auto-reply markers, so an auto-reply is never a bounce and a bounce
 * never an auto-reply.
 */
public final class InboundReports {

  /** Octets of a message read at most (the inbound listener's size limit). */
  public static final int MAX_MESSAGE = 10 * 1024 * 1024;

  /** Recipients kept per report at most. */
  public static final int MAX_RECIPIENTS = 1000;

  /** Longest diagnostic kept, in characters. */
  public static final int MAX_DIAGNOSTIC = 1000;

  /** Longest address, host name or other short field kept, in characters. */
  static final int MAX_SHORT = 512;

  /** Longest decoded delivery-status or feedback-report part read. */
  static final int MAX_REPORT_PART = 2 * 1024 * 1024;

  private InboundReports() {}

  /**
   * Classifies {@code message} (the octets as received, CRLF or LF line ends). Never throws: a
   * message that cannot be read is {@link UnrecognizedMail}.
   */
  public static InboundReport parse(byte[] message) {
    if (message == null || message.length == 0) {
      return new UnrecognizedMail("empty message");
    }
    try {
      return classify(message);
    } catch (RuntimeException | StackOverflowError e) {
      return new UnrecognizedMail("unreadable message (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static InboundReport classify(byte[] message) {
    MimeEntity root = MimeEntity.parse(message, Math.min(message.length, MAX_MESSAGE));
    List<MimeEntity> leaves = new ArrayList<>();
    flatten(root, leaves);

    String reportType = reportType(root);
    MimeEntity deliveryStatus = null;
    MimeEntity feedback = null;
    for (MimeEntity leaf : leaves) {
      String t = leaf.type();
      if (deliveryStatus == null
          && (t.equals("message/delivery-status") || t.equals("message/global-delivery-status"))) {
        deliveryStatus = leaf;
      } else if (feedback == null && t.equals("message/feedback-report")) {
        feedback = leaf;
      }
    }
    if (feedback != null && (deliveryStatus == null || "feedback-report".equals(reportType))) {
      return FeedbackReports.parse(feedback, originalPart(leaves, feedback));
    }
    if (deliveryStatus != null) {
      DeliveryReport dsn =
          DeliveryStatusReports.parse(deliveryStatus, originalPart(leaves, deliveryStatus));
      if (dsn != null) {
        return dsn;
      }
    }
    DeliveryReport bounce = TextBounces.parse(root, leaves, deliveryStatus != null);
    if (bounce != null) {
      return bounce;
    }
    AutoReply reply = AutoReplies.detect(root.headers);
    if (reply != null) {
      return reply;
    }
    return new UnrecognizedMail(
        "no delivery-status or feedback-report part, no bounce text, no auto-reply marker ("
            + root.type()
            + ")");
  }

  /** The report-type of the outermost multipart/report, lower case; null when none. */
  private static String reportType(MimeEntity root) {
    if (root.type().equals("multipart/report")) {
      String t = root.param("report-type");
      return t == null ? null : t.toLowerCase(java.util.Locale.ROOT);
    }
    return null;
  }

  /** Leaf entities in document order; embedded messages are leaves (never searched inside). */
  static void flatten(MimeEntity entity, List<MimeEntity> out) {
    if (entity.isMultipart()) {
      for (MimeEntity child : entity.children()) {
        flatten(child, out);
      }
    } else {
      out.add(entity);
    }
  }

  /** The first part after {@code report} that shows the original message, null when none. */
  static MimeEntity originalPart(List<MimeEntity> leaves, MimeEntity report) {
    boolean after = false;
    for (MimeEntity leaf : leaves) {
      if (leaf == report) {
        after = true;
      } else if (after && isOriginal(leaf.type())) {
        return leaf;
      }
    }
    return null;
  }

  static boolean isOriginal(String type) {
    return switch (type) {
      case "message/rfc822",
          "message/global",
          "text/rfc822-headers",
          "message/rfc822-headers",
          "message/global-headers" ->
          true;
      default -> false;
    };
  }

  /** What a header block of the original shows; {@link OriginalMessage#NONE} for null. */
  static OriginalMessage original(Headers h) {
    if (h == null || h.isEmpty()) {
      return OriginalMessage.NONE;
    }
    return new OriginalMessage(
        Bytes.cap(
            blankToNull(Fields.stripComments(nonNull(h.first("message-id"))).strip()), MAX_SHORT),
        Addresses.unbracket(h.first("return-path")),
        Bytes.cap(blankToNull(h.first("from")), MAX_DIAGNOSTIC),
        Bytes.cap(blankToNull(h.first("to")), MAX_DIAGNOSTIC));
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }
}

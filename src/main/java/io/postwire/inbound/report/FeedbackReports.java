package io.postwire.inbound.report;

import java.util.Locale;

/**
 * Reads an RFC 5965 feedback report: the {@code message/feedback-report} part's fields (section 3.1
 * required, 3.2 optional) and the original message or its header (section 2, third part).
 */
final class FeedbackReports {

  private FeedbackReports() {}

  static ComplaintReport parse(MimeEntity part, MimeEntity originalPart) {
    byte[] body = part.decodedBody(InboundReports.MAX_REPORT_PART);
    Headers f = Headers.read(body, 0, body.length, true);
    String type = f.first("feedback-type");
    type = type == null ? "" : Fields.stripComments(type).strip().toLowerCase(Locale.ROOT);
    if (type.isEmpty()) {
      // required by section 3.1; a report without it still reports the message
      type = "other";
    }
    String mailFrom = Addresses.unbracket(f.first("original-mail-from"));
    String arrival = f.first("arrival-date");
    if (arrival == null) {
      arrival = f.first("received-date"); // the draft name some reporters still send
    }
    OriginalMessage original =
        originalPart == null
            ? OriginalMessage.NONE
            : InboundReports.original(originalPart.embeddedHeaders());
    if (original.returnPath() == null && mailFrom != null) {
      // the envelope sender is what identifies our message (VERP); take it from the report
      original =
          new OriginalMessage(original.messageId(), mailFrom, original.from(), original.to());
    }
    return new ComplaintReport(
        Bytes.cap(type, 64),
        Bytes.cap(InboundReports.blankToNull(f.first("user-agent")), InboundReports.MAX_SHORT),
        mailFrom,
        Addresses.unbracket(f.first("original-rcpt-to")),
        Bytes.cap(InboundReports.blankToNull(arrival), InboundReports.MAX_SHORT),
        Bytes.cap(
            InboundReports.blankToNull(
                f.first("reported-domain") == null
                    ? null
                    : Fields.stripComments(f.first("reported-domain"))),
            InboundReports.MAX_SHORT),
        original);
  }
}

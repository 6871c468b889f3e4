package io.postwire.inbound.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Hostile input is bounded by construction: what lies beyond the caps (message size, nesting depth,
 * number of parts, recipients, field length) is not read, so work stays linear in the capped size.
 * Each test shows a cap taking effect, not a duration.
 */
class InboundReportsBoundsTest {

  private static final String STATUS_PART =
      "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; r.example\r\n\r\n"
          + "Final-Recipient: rfc822; deep@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n";

  @Test
  void aReportPartBeyondTheMessageSizeCapIsNotRead() {
    String head =
        "From: MAILER-DAEMON@r.example\r\nSubject: Report\r\n"
            + "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n"
            + "Content-Type: text/plain\r\n\r\n";
    String filler = ("x".repeat(998) + "\r\n").repeat(InboundReports.MAX_MESSAGE / 1000 + 10);
    String tail = "\r\n--b\r\n" + STATUS_PART + "--b--\r\n";
    InboundReport beyond =
        InboundReports.parse((head + filler + tail).getBytes(StandardCharsets.US_ASCII));
    // the daemon sender and subject alone do not make a bounce, and the status part was not read
    assertThat(beyond).isInstanceOf(UnrecognizedMail.class);

    InboundReport within =
        InboundReports.parse((head + "short\r\n" + tail).getBytes(StandardCharsets.US_ASCII));
    assertThat(within).isInstanceOf(DeliveryReport.class);
  }

  @Test
  void nestingDeeperThanTheCapIsNotDescendedAndNeverOverflowsTheStack() {
    assertThat(nested(MimeEntity.MAX_DEPTH - 1)).isInstanceOf(DeliveryReport.class);
    assertThat(nested(MimeEntity.MAX_DEPTH + 1)).isInstanceOf(UnrecognizedMail.class);
    assertThat(nested(20_000)).isInstanceOf(UnrecognizedMail.class);
  }

  private static InboundReport nested(int depth) {
    StringBuilder m = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      m.append("Content-Type: multipart/mixed; boundary=b")
          .append(i)
          .append("\r\n\r\n--b")
          .append(i)
          .append("\r\n");
    }
    m.append(
            "Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\n")
        .append(STATUS_PART)
        .append("--r--\r\n");
    return InboundReports.parse(m.toString().getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void partsBeyondTheCapAreNotExamined() {
    assertThat(manyParts(MimeEntity.MAX_PARTS - 1)).isInstanceOf(DeliveryReport.class);
    assertThat(manyParts(MimeEntity.MAX_PARTS)).isInstanceOf(UnrecognizedMail.class);
    assertThat(manyParts(50_000)).isInstanceOf(UnrecognizedMail.class);
  }

  /** A report whose status part comes after {@code before} empty parts. */
  private static InboundReport manyParts(int before) {
    StringBuilder m =
        new StringBuilder(
            "Content-Type: multipart/report; report-type=delivery-status; boundary=p\r\n\r\n");
    for (int i = 0; i < before; i++) {
      m.append("--p\r\nContent-Type: text/plain\r\n\r\nhello\r\n");
    }
    m.append("--p\r\n").append(STATUS_PART).append("--p--\r\n");
    return InboundReports.parse(m.toString().getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void aHeaderWithAHundredThousandFieldsKeepsTheCapAndStillFindsTheReport() {
    StringBuilder m = new StringBuilder();
    m.append("Content-Type: multipart/report; report-type=delivery-status; boundary=h\r\n");
    m.append("X-Junk: 1\r\n".repeat(100_000));
    m.append("\r\n--h\r\n").append(STATUS_PART).append("--h--\r\n");
    assertThat(InboundReports.parse(m.toString().getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(DeliveryReport.class);
  }

  @Test
  void aFoldedFieldOfMegabytesIsCutToTheFieldCap() {
    String m =
        "Content-Type: multipart/report; report-type=delivery-status; boundary=f\r\n\r\n--f\r\n"
            + "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; r.example\r\n\r\n"
            + "Final-Recipient: rfc822; long@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            + "Diagnostic-Code: smtp; 550"
            + "\r\n folded".repeat(500_000)
            + "\r\n--f--\r\n";
    DeliveryReport d =
        Messages.parseAs(DeliveryReport.class, m.getBytes(StandardCharsets.US_ASCII));
    assertThat(d.recipients().get(0).diagnosticCode()).hasSize(InboundReports.MAX_DIAGNOSTIC);
  }

  @Test
  void aBounceTextFullOfAddressesKeepsAtMostTheTextRecipientCap() {
    StringBuilder m =
        new StringBuilder("From: MAILER-DAEMON@r.example\r\nSubject: Undeliverable\r\n\r\n");
    m.append("Your message could not be delivered:\r\n");
    for (int i = 0; i < 100_000; i++) {
      m.append("u").append(i).append("@x.example 550 5.1.1 unknown\r\n");
    }
    m.append("@".repeat(1_000_000)).append("\r\n");
    DeliveryReport d =
        Messages.parseAs(DeliveryReport.class, m.toString().getBytes(StandardCharsets.US_ASCII));
    assertThat(d.recipients()).hasSize(TextBounces.MAX_TEXT_RECIPIENTS);
    assertThat(d.recipients().get(0).finalRecipient()).isEqualTo("u0@x.example");
  }

  @Test
  void aLongSubjectOfBrokenEncodedWordsIsReadWithinItsCap() {
    String m =
        "From: x@y.example\r\nSubject: " + "=?utf-8?Q?".repeat(200_000) + "\r\n\r\nhello\r\n";
    assertThat(InboundReports.parse(m.getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(UnrecognizedMail.class);
  }
}

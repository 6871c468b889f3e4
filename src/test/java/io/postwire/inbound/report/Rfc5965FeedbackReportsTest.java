package io.postwire.inbound.report;

import static io.postwire.inbound.report.Messages.parseAs;
import static io.postwire.inbound.report.Messages.resource;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** RFC 5965 (ARF) feedback reports: the appendix B examples and the field rules of section 3. */
class Rfc5965FeedbackReportsTest {

  @Test
  void appendixB1SimpleReportIsAnAbuseComplaintWithTheOriginalsHeader() {
    ComplaintReport c = parseAs(ComplaintReport.class, resource("rfc5965-b1-simple.eml"));
    assertThat(c)
        .isEqualTo(
            new ComplaintReport(
                "abuse",
                "SomeGenerator/1.0",
                null,
                null,
                null,
                null,
                new OriginalMessage(
                    "8787KJKJ3K4J3K4J3K4J3.mail@example.net",
                    null,
                    "<somespammer@example.net>",
                    "<Undisclosed Recipients>")));
  }

  @Test
  void appendixB2OptionalFieldsOfSection3_2AreRead() {
    ComplaintReport c = parseAs(ComplaintReport.class, resource("rfc5965-b2-optional-fields.eml"));
    assertThat(c.feedbackType()).isEqualTo("abuse");
    assertThat(c.originalMailFrom()).isEqualTo("somespammer@example.net");
    assertThat(c.originalRcptTo()).isEqualTo("user@example.com");
    assertThat(c.arrivalDate()).isEqualTo("Thu, 8 Mar 2005 14:00:00 EDT");
    assertThat(c.reportedDomain()).isEqualTo("example.net");
    // the envelope sender stands in for the original's missing Return-Path (it carries the VERP)
    assertThat(c.original().returnPath()).isEqualTo("somespammer@example.net");
    assertThat(c.original().messageId()).isEqualTo("8787KJKJ3K4J3K4J3K4J3.mail@example.net");
  }

  @Test
  void section3_1FeedbackTypesAreReadCaseInsensitivelyWithoutComments() {
    for (String type :
        new String[] {"abuse", "fraud", "not-spam", "other", "virus", "auth-failure"}) {
      ComplaintReport c =
          parseAs(
              ComplaintReport.class,
              arf(
                  "Feedback-Type: "
                      + type.toUpperCase()
                      + " (as reported)\nUser-Agent: FBL/2\nVersion: 1\n",
                  ""));
      assertThat(c.feedbackType()).isEqualTo(type);
    }
  }

  @Test
  void aReportWithoutFeedbackTypeIsStillAComplaintOfTypeOther() {
    ComplaintReport c = parseAs(ComplaintReport.class, arf("User-Agent: FBL/2\nVersion: 1\n", ""));
    assertThat(c.feedbackType()).isEqualTo("other");
  }

  @Test
  void section3_2TheDraftNameReceivedDateIsReadAsArrivalDate() {
    ComplaintReport c =
        parseAs(
            ComplaintReport.class,
            arf(
                "Feedback-Type: abuse\nUser-Agent: Old/1\nVersion: 0.1\nReceived-Date: Sat, 5 Dec 2026 01:00:00 +0000\n",
                ""));
    assertThat(c.arrivalDate()).isEqualTo("Sat, 5 Dec 2026 01:00:00 +0000");
  }

  @Test
  void section2TheThirdPartMayBeOnlyTheHeaderAsTextRfc822Headers() {
    ComplaintReport c =
        parseAs(
            ComplaintReport.class,
            arf(
                "Feedback-Type: abuse\nUser-Agent: FBL/2\nVersion: 1\n",
                """
                --arf
                Content-Type: text/rfc822-headers

                Return-Path: <b+tok@bounces.postwire.example>
                From: Shop <news@shop.example>
                To: someone@mailbox.example
                Message-ID: <pw.fbl@shop.example>
                """));
    assertThat(c.original())
        .isEqualTo(
            new OriginalMessage(
                "<pw.fbl@shop.example>",
                "b+tok@bounces.postwire.example",
                "Shop <news@shop.example>",
                "someone@mailbox.example"));
  }

  @Test
  void aFeedbackReportCarryingAutoSubmittedIsAComplaintNotAnAutoReply() {
    String report =
        arf("Feedback-Type: abuse\nUser-Agent: FBL/2\nVersion: 1\n", "")
            .replace("Subject:", "Auto-Submitted: auto-generated\nSubject:");
    assertThat(InboundReports.parse(Messages.crlf(report))).isInstanceOf(ComplaintReport.class);
  }

  static String arf(String fields, String thirdPart) {
    return """
        From: fbl@mailbox.example
        To: fbl@postwire.example
        Subject: Abuse report
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=feedback-report; boundary="arf"

        --arf
        Content-Type: text/plain

        This is an abuse report.
        --arf
        Content-Type: message/feedback-report

        %s
        %s
        --arf--
        """
        .formatted(fields, thirdPart);
  }
}

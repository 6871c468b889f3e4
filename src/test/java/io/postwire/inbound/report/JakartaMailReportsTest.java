package io.postwire.inbound.report;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.activation.DataHandler;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Reports written at test time by an independent MIME implementation (Jakarta Mail): its own
 * boundaries, folding and transfer encodings (quoted-printable or base64 for UTF-8 text parts, 8bit
 * for message/* parts).
 */
class JakartaMailReportsTest {

  private static final Session SESSION = Session.getInstance(new Properties());

  /** RFC 6522 multipart/report with its report-type parameter. */
  static final class ReportMultipart extends MimeMultipart {
    ReportMultipart(String reportType) throws MessagingException {
      super("report");
      ContentType ct = new ContentType(contentType);
      ct.setParameter("report-type", reportType);
      contentType = ct.toString();
    }
  }

  private static MimeBodyPart part(String type, String content) throws MessagingException {
    MimeBodyPart p = new MimeBodyPart();
    p.setDataHandler(
        new DataHandler(new ByteArrayDataSource(content.getBytes(StandardCharsets.UTF_8), type)));
    p.setHeader("Content-Type", type);
    return p;
  }

  private static byte[] write(MimeMessage m) throws MessagingException, IOException {
    m.saveChanges();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.writeTo(out);
    return out.toByteArray();
  }

  private static MimeMessage original() throws MessagingException {
    MimeMessage o = new MimeMessage(SESSION);
    o.setFrom(new InternetAddress("news@shop.example", false));
    o.setRecipients(jakarta.mail.Message.RecipientType.TO, "first@example.org");
    o.setSubject("Your order");
    o.setText("Hello");
    o.setHeader("Return-Path", "<b+tok1@bounces.postwire.example>");
    o.saveChanges();
    o.setHeader("Message-ID", "<pw.jm@shop.example>");
    return o;
  }

  @Test
  void rfc3464ReportBuiltWithMimeMultipartIsReadWithItsOriginalMessage() throws Exception {
    MimeMultipart report = new ReportMultipart("delivery-status");
    MimeBodyPart human = new MimeBodyPart();
    human.setText("Delivery to the following recipients failed.", "utf-8");
    report.addBodyPart(human);
    report.addBodyPart(
        part(
            "message/delivery-status",
            """
            Reporting-MTA: dns; mx.jakarta.example
            Arrival-Date: Sat, 5 Dec 2026 03:00:00 +0000

            Final-Recipient: rfc822; first@example.org
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 first@example.org: no such user
            Remote-MTA: dns; mx.example.org

            Final-Recipient: rfc822; second@example.org
            Action: delayed
            Status: 4.4.1
            Diagnostic-Code: X-Postfix; connect to mx2.example.org[192.0.2.9]:25:
             Connection timed out
            """));
    MimeBodyPart orig = new MimeBodyPart();
    orig.setContent(original(), "message/rfc822");
    report.addBodyPart(orig);
    MimeMessage m = new MimeMessage(SESSION);
    m.setFrom(new InternetAddress("MAILER-DAEMON@mx.jakarta.example"));
    m.setSubject("Delivery Status Notification (Failure)");
    m.setHeader("Auto-Submitted", "auto-replied");
    m.setContent(report);

    DeliveryReport d = Messages.parseAs(DeliveryReport.class, write(m));
    assertThat(d.standard()).isTrue();
    assertThat(d.reportingMta()).isEqualTo("mx.jakarta.example");
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "first@example.org",
                null,
                Action.FAILED,
                "5.1.1",
                "smtp; 550 5.1.1 first@example.org: no such user",
                "mx.example.org"),
            new RecipientStatus(
                "second@example.org",
                null,
                Action.DELAYED,
                "4.4.1",
                "X-Postfix; connect to mx2.example.org[192.0.2.9]:25: Connection timed out",
                null));
    assertThat(d.original())
        .isEqualTo(
            new OriginalMessage(
                "<pw.jm@shop.example>",
                "b+tok1@bounces.postwire.example",
                "news@shop.example",
                "first@example.org"));
  }

  @Test
  void rfc6533GlobalReportWithUtf8FieldsIsReadAsJakartaMailWritesIt() throws Exception {
    MimeMultipart report = new ReportMultipart("delivery-status");
    MimeBodyPart human = new MimeBodyPart();
    human.setText("Unzustellbar: Empfänger unbekannt.", "utf-8");
    report.addBodyPart(human);
    MimeBodyPart status =
        part(
            "message/global-delivery-status",
            """
            Reporting-MTA: dns; mx.jakarta.example

            Final-Recipient: utf-8; δοκιμή@παράδειγμα.example
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 Benutzer unbekannt – ü
            """);
    report.addBodyPart(status);
    MimeMessage m = new MimeMessage(SESSION);
    m.setContent(report);
    DeliveryReport d = Messages.parseAs(DeliveryReport.class, write(m));
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "δοκιμή@παράδειγμα.example",
                null,
                Action.FAILED,
                "5.1.1",
                "smtp; 550 5.1.1 Benutzer unbekannt – ü",
                null));
  }

  @Test
  void rfc5965ReportBuiltWithMimeMultipartIsAComplaint() throws Exception {
    MimeMultipart report = new ReportMultipart("feedback-report");
    MimeBodyPart human = new MimeBodyPart();
    human.setText("This is a spam report.", "us-ascii");
    report.addBodyPart(human);
    report.addBodyPart(
        part(
            "message/feedback-report",
            """
            Feedback-Type: abuse
            User-Agent: JakartaFBL/1.0
            Version: 1
            Original-Mail-From: <b+tok1@bounces.postwire.example>
            Original-Rcpt-To: <first@example.org>
            Arrival-Date: Sat, 5 Dec 2026 02:00:00 +0000
            Reported-Domain: shop.example
            """));
    MimeBodyPart orig = new MimeBodyPart();
    orig.setContent(original(), "message/rfc822");
    report.addBodyPart(orig);
    MimeMessage m = new MimeMessage(SESSION);
    m.setFrom(new InternetAddress("fbl@mailbox.example"));
    m.setSubject("Spam report");
    m.setContent(report);

    ComplaintReport c = Messages.parseAs(ComplaintReport.class, write(m));
    assertThat(c)
        .isEqualTo(
            new ComplaintReport(
                "abuse",
                "JakartaFBL/1.0",
                "b+tok1@bounces.postwire.example",
                "first@example.org",
                "Sat, 5 Dec 2026 02:00:00 +0000",
                "shop.example",
                new OriginalMessage(
                    "<pw.jm@shop.example>",
                    "b+tok1@bounces.postwire.example",
                    "news@shop.example",
                    "first@example.org")));
  }

  @Test
  void aVacationReplyWrittenByJakartaMailWithAnEncodedSubjectIsAnAutoReply() throws Exception {
    MimeMessage m = new MimeMessage(SESSION);
    m.setFrom(new InternetAddress("erika@firma.example"));
    m.setSubject("Abwesenheitsnotiz: Ihre Bestellung für Dezember", "utf-8");
    m.setHeader("In-Reply-To", "<pw.jm@shop.example>");
    m.setText("Ich bin nicht im Büro.", "utf-8");
    byte[] bytes = write(m);
    assertThat(new String(bytes, StandardCharsets.US_ASCII)).contains("=?utf-8?");
    AutoReply a = Messages.parseAs(AutoReply.class, bytes);
    assertThat(a.reason()).isEqualTo("Subject: abwesenheitsnotiz");
    assertThat(a.original().messageId()).isEqualTo("<pw.jm@shop.example>");
  }
}

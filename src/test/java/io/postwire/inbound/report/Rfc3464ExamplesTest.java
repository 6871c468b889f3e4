package io.postwire.inbound.report;

import static io.postwire.inbound.report.Messages.parseAs;
import static io.postwire.inbound.report.Messages.resource;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The example notifications of RFC 3464 appendix A (reconstructed as test resources), and the field
 * rules of sections 2.1 to 2.3 one by one.
 */
class Rfc3464ExamplesTest {

  @Test
  void appendixA1SimpleDsnReportsTheFailedRecipientWithItsStatusAndDiagnostic() {
    DeliveryReport d = parseAs(DeliveryReport.class, resource("rfc3464-a1-simple.eml"));
    assertThat(d.standard()).isTrue();
    assertThat(d.reportingMta()).isEqualTo("cs.utk.edu");
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "louisl@larry.slip.umd.edu",
                "louisl@larry.slip.umd.edu",
                Action.FAILED,
                "4.0.0",
                "smtp; 426 connection timed out",
                null));
    assertThat(d.original()).isEqualTo(OriginalMessage.NONE);
  }

  @Test
  void appendixA2MultiRecipientDsnReportsEveryRecipientGroupInOrder() {
    DeliveryReport d = parseAs(DeliveryReport.class, resource("rfc3464-a2-multi-recipient.eml"));
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "arathib@vnet.ibm.com",
                "arathib@vnet.ibm.com",
                Action.FAILED,
                "5.0.0",
                // section 2.1.1: a folded field is one line; section 2.3.6 keeps the type
                "smtp;  550 'arathib@vnet.IBM.COM' is not a registered gateway user",
                "vnet.ibm.com"),
            new RecipientStatus(
                "johnh@hpnjld.njd.hp.com",
                "johnh@hpnjld.njd.hp.com",
                Action.DELAYED,
                "4.0.0",
                null,
                null),
            new RecipientStatus(
                "wsnell@sdcc13.ucsd.edu",
                "wsnell@sdcc13.ucsd.edu",
                Action.FAILED,
                "5.0.0",
                "smtp; 550 user unknown",
                "sdcc13.ucsd.edu"));
  }

  @Test
  void appendixA3GatewayDsnKeepsAForeignAddressTypesAddressAndTheMtaNameWithoutItsType() {
    DeliveryReport d = parseAs(DeliveryReport.class, resource("rfc3464-a3-gateway.eml"));
    assertThat(d.reportingMta()).isEqualTo("SYS30");
    assertThat(d.recipients())
        .containsExactly(new RecipientStatus("nair_s", null, Action.FAILED, "5.0.0", null, null));
  }

  @Test
  void appendixA4DelayedDsnIsADelayedActionWithATemporaryStatus() {
    DeliveryReport d = parseAs(DeliveryReport.class, resource("rfc3464-a4-delayed.eml"));
    assertThat(d.reportingMta()).isEqualTo("sun2.nsfnet-relay.ac.uk");
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "thomas@de-montfort.ac.uk", null, Action.DELAYED, "4.0.0", null, null));
  }

  @Test
  void everyExampleReadsTheSameWithBareLineFeedsAsWithCrlf() {
    for (String name :
        new String[] {
          "rfc3464-a1-simple.eml",
          "rfc3464-a2-multi-recipient.eml",
          "rfc3464-a3-gateway.eml",
          "rfc3464-a4-delayed.eml",
          "postfix-dsn.eml"
        }) {
      byte[] crlf = resource(name);
      byte[] lf = new String(crlf, StandardCharsets.UTF_8).replace("\r\n", "\n").getBytes();
      assertThat(InboundReports.parse(lf)).as(name).isEqualTo(InboundReports.parse(crlf));
    }
  }

  @Test
  void postfixBounceDaemonDsnGivesStatusDiagnosticRemoteMtaAndTheOriginalFromItsHeaderPart() {
    DeliveryReport d = parseAs(DeliveryReport.class, resource("postfix-dsn.eml"));
    assertThat(d.standard()).isTrue();
    assertThat(d.reportingMta()).isEqualTo("mail.example.net");
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "nobody@example.org",
                "nobody@example.org",
                Action.FAILED,
                "5.1.1",
                "smtp; 550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"
                    + " in local recipient table",
                "mx.example.org"));
    assertThat(d.original())
        .isEqualTo(
            new OriginalMessage(
                "<pw.0123456789@shop.example>",
                "b+AAECAwQFBgcICQoLDA0ODw@bounces.postwire.example",
                "Shop <news@shop.example>",
                "nobody@example.org"));
  }

  @Test
  void section2_1CommentsAreNotPartOfTypedFieldsAndFieldNamesAreCaseInsensitive() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            dsn(
                """
                REPORTING-MTA: dns (the relay); relay.example (Postfix)

                FINAL-RECIPIENT: RFC822; (the address) <x@example.org> (end)
                ACTION: Failed (gave up)
                STATUS: 5.2.2 (mailbox full)
                REMOTE-MTA: dns; [192.0.2.7] (mx)
                """));
    assertThat(d.reportingMta()).isEqualTo("relay.example");
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "x@example.org", null, Action.FAILED, "5.2.2", null, "[192.0.2.7]"));
  }

  @Test
  void section2_3_3EveryActionValueIsRead() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            dsn(
                """
                Reporting-MTA: dns; relay.example

                Final-Recipient: rfc822; a@example.org
                Action: delivered
                Status: 2.0.0

                Final-Recipient: rfc822; b@example.org
                Action: relayed
                Status: 2.0.0

                Final-Recipient: rfc822; c@example.org
                Action: expanded
                Status: 2.0.0
                """));
    assertThat(d.recipients())
        .extracting(RecipientStatus::action)
        .containsExactly(Action.DELIVERED, Action.RELAYED, Action.EXPANDED);
  }

  @Test
  void section2_3_4AStatusWithoutAnEnhancedCodeIsTakenFromTheDiagnosticOrTheAction() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            dsn(
                """
                Reporting-MTA: dns; relay.example

                Final-Recipient: rfc822; a@example.org
                Action: failed
                Status: unknown
                Diagnostic-Code: smtp; 552-5.2.2 Over quota

                Final-Recipient: rfc822; b@example.org
                Action: failed
                Diagnostic-Code: smtp; 554 rejected

                Final-Recipient: rfc822; c@example.org
                Action: delayed

                Final-Recipient: rfc822; d@example.org
                Status: 5.7.1
                """));
    assertThat(d.recipients())
        .extracting(RecipientStatus::status, RecipientStatus::action)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("5.2.2", Action.FAILED),
            org.assertj.core.groups.Tuple.tuple("5.0.0", Action.FAILED),
            org.assertj.core.groups.Tuple.tuple("4.0.0", Action.DELAYED),
            // Action is required; a missing one follows the status class
            org.assertj.core.groups.Tuple.tuple("5.7.1", Action.FAILED));
  }

  @Test
  void section2_3AGroupWithoutARecipientIsSkippedAndExtraBlankLinesDoNotSplitGroups() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            dsn(
                """
                Reporting-MTA: dns; relay.example



                Action: failed
                Status: 5.0.0


                Final-Recipient: rfc822; only@example.org
                Action: failed
                Status: 5.1.1
                """));
    assertThat(d.recipients())
        .extracting(RecipientStatus::finalRecipient)
        .containsExactly("only@example.org");
  }

  @Test
  void rfc6533GlobalDeliveryStatusReadsUtf8AddressesAndUndoesTheirEscapes() {
    String report =
        """
        From: MAILER-DAEMON@relay.example
        Subject: Undelivered Mail Returned to Sender
        Content-Type: multipart/report; report-type=global-delivery-status; boundary=b

        --b
        Content-Type: text/plain; charset=utf-8

        Zustellung fehlgeschlagen.
        --b
        Content-Type: message/global-delivery-status

        Reporting-MTA: dns; relay.example

        Original-Recipient: utf-8; j\\x{00FC}rgen@b\\x{00FC}ro.example
        Final-Recipient: utf-8; jürgen@büro.example
        Action: failed
        Status: 5.1.1
        Diagnostic-Code: smtp; 550 5.1.1 Empfänger unbekannt
        --b
        Content-Type: message/global-headers

        From: Shop <news@shop.example>
        To: jürgen@büro.example
        Message-ID: <pw.1@shop.example>
        --b--
        """;
    DeliveryReport d = parseAs(DeliveryReport.class, report);
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "jürgen@büro.example",
                "jürgen@büro.example",
                Action.FAILED,
                "5.1.1",
                "smtp; 550 5.1.1 Empfänger unbekannt",
                null));
    assertThat(d.original().to()).isEqualTo("jürgen@büro.example");
    assertThat(d.original().messageId()).isEqualTo("<pw.1@shop.example>");
  }

  @Test
  void aDeliveryStatusPartInBase64IsDecoded() {
    String fields =
        "Reporting-MTA: dns; relay.example\r\n\r\nFinal-Recipient: rfc822; b64@example.org\r\n"
            + "Action: failed\r\nStatus: 5.1.1\r\n";
    String b64 =
        java.util.Base64.getMimeEncoder()
            .encodeToString(fields.getBytes(StandardCharsets.US_ASCII));
    String report =
        """
        Content-Type: multipart/report; report-type=delivery-status; boundary="xx"

        --xx
        Content-Type: message/delivery-status
        Content-Transfer-Encoding: base64

        %s
        --xx--
        """
            .formatted(b64);
    DeliveryReport d = parseAs(DeliveryReport.class, report);
    assertThat(d.recipients())
        .extracting(RecipientStatus::finalRecipient)
        .containsExactly("b64@example.org");
  }

  @Test
  void aReportNestedInMultipartMixedIsStillFound() {
    String report =
        """
        Content-Type: multipart/mixed; boundary=outer

        --outer
        Content-Type: multipart/report; report-type=delivery-status; boundary=inner

        --inner
        Content-Type: text/plain

        failed
        --inner
        Content-Type: message/delivery-status

        Reporting-MTA: dns; relay.example

        Final-Recipient: rfc822; nested@example.org
        Action: failed
        Status: 5.1.1
        --inner
        Content-Type: message/rfc822

        Message-ID: <pw.nested@shop.example>
        Return-Path: <b+tok@bounces.example>

        body
        --inner--
        --outer--
        """;
    DeliveryReport d = parseAs(DeliveryReport.class, report);
    assertThat(d.recipients())
        .extracting(RecipientStatus::finalRecipient)
        .containsExactly("nested@example.org");
    assertThat(d.original().messageId()).isEqualTo("<pw.nested@shop.example>");
    assertThat(d.original().returnPath()).isEqualTo("b+tok@bounces.example");
  }

  @Test
  void aReportWithMoreRecipientsThanTheCapKeepsTheFirstThousand() {
    StringBuilder groups = new StringBuilder("Reporting-MTA: dns; relay.example\n");
    for (int i = 0; i < 1500; i++) {
      groups
          .append("\nFinal-Recipient: rfc822; r")
          .append(i)
          .append("@example.org\nAction: failed\nStatus: 5.1.1\n");
    }
    DeliveryReport d = parseAs(DeliveryReport.class, dsn(groups.toString()));
    assertThat(d.recipients()).hasSize(InboundReports.MAX_RECIPIENTS);
    assertThat(d.recipients().get(999).finalRecipient()).isEqualTo("r999@example.org");
  }

  @Test
  void aDiagnosticLongerThanTheCapIsCut() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            dsn(
                "Reporting-MTA: dns; r.example\n\nFinal-Recipient: rfc822; a@example.org\n"
                    + "Action: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 "
                    + "x".repeat(50_000)
                    + "\n"));
    assertThat(d.recipients().get(0).diagnosticCode()).hasSize(InboundReports.MAX_DIAGNOSTIC);
  }

  @Test
  void aReportWhoseStatusPartNamesNoRecipientIsReadAsANonStandardBounceNotAnAutoReply() {
    String report =
        """
        From: MAILER-DAEMON@relay.example
        Auto-Submitted: auto-replied
        Subject: Returned mail
        Content-Type: multipart/report; report-type=delivery-status; boundary=b

        --b
        Content-Type: text/plain

        <lost@example.org>: 550 5.1.1 no such user
        --b
        Content-Type: message/delivery-status

        Reporting-MTA: dns; relay.example
        --b--
        """;
    DeliveryReport d = parseAs(DeliveryReport.class, report);
    assertThat(d.standard()).isFalse();
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "lost@example.org",
                null,
                Action.FAILED,
                "5.1.1",
                "<lost@example.org>: 550 5.1.1 no such user",
                null));
  }

  /** A multipart/report around the given delivery-status fields. */
  static String dsn(String fields) {
    return """
        From: MAILER-DAEMON@relay.example
        Subject: Delivery Status Notification
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="=_b"

        --=_b
        Content-Type: text/plain

        report
        --=_b
        Content-Type: message/delivery-status

        %s
        --=_b--
        """
        .formatted(fields);
  }
}

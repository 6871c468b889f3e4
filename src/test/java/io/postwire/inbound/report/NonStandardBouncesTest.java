package io.postwire.inbound.report;

import static io.postwire.inbound.report.Messages.parseAs;
import static io.postwire.inbound.report.Messages.resource;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Bounces without an RFC 3464 delivery-status part, classified from their text: the failed
 * addresses shown, the SMTP reply (RFC 5321 section 4.2) or RFC 3463 code near each.
 */
class NonStandardBouncesTest {

  @Test
  void qmailBounceReportsEachAddressWithTheReplyOrCodeBelowIt() {
    DeliveryReport d = parseAs(DeliveryReport.class, resource("qmail-bounce.eml"));
    assertThat(d.standard()).isFalse();
    assertThat(d.reportingMta()).isNull();
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "gone@qmail.example",
                null,
                Action.FAILED,
                "5.1.1",
                "Remote host said: 550 5.1.1 <gone@qmail.example>... User unknown",
                null),
            new RecipientStatus(
                "full@qmail.example",
                null,
                Action.FAILED,
                "5.1.1",
                "Sorry, no mailbox here by that name. (#5.1.1)",
                null));
    // the appended copy is the original, and its addresses are never reported
    assertThat(d.original())
        .isEqualTo(
            new OriginalMessage(
                "<pw.4242@shop.example>",
                "b+AAECAwQFBgcICQoLDA0ODw@bounces.postwire.example",
                "Shop <news@shop.example>",
                "gone@qmail.example, full@qmail.example"));
  }

  @Test
  void eximBounceReportsTheFailedAddressAndTheRemoteReply() {
    DeliveryReport d = parseAs(DeliveryReport.class, resource("exim-bounce.eml"));
    assertThat(d.standard()).isFalse();
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "missing@exim.example",
                null,
                Action.FAILED,
                "5.1.1",
                "550 5.1.1 <missing@exim.example>: Recipient address rejected: User unknown",
                null));
    assertThat(d.original().messageId()).isEqualTo("<pw.77@shop.example>");
  }

  @Test
  void eximDelayWarningIsDelayedWithItsTemporaryCode() {
    DeliveryReport d = parseAs(DeliveryReport.class, resource("exim-delay.eml"));
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "slow@exim.example",
                null,
                Action.DELAYED,
                "4.7.1",
                "451 4.7.1 Greylisted, try again later",
                null));
  }

  @Test
  void exchangeUndeliverableReportsTheRecipientTheEnhancedCodeAndTheAttachedOriginal() {
    DeliveryReport d = parseAs(DeliveryReport.class, resource("exchange-undeliverable.eml"));
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "left.company@corp.example",
                null,
                Action.FAILED,
                "5.1.10",
                "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not"
                    + " found by SMTP address lookup'",
                null));
    assertThat(d.original().messageId()).isEqualTo("<pw.9000@shop.example>");
    assertThat(d.original().returnPath())
        .isEqualTo("b+AAECAwQFBgcICQoLDA0ODw@bounces.postwire.example");
  }

  @Test
  void aBasicReplyCodeWithoutEnhancedCodeGivesClassZeroZero() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            """
            From: Mail Delivery Subsystem <mailer-daemon@old.example>
            Subject: Returned mail: see transcript for details

            ----- Transcript of session follows -----
            ... while talking to mx.old.example.:
            >>> RCPT To:<someone@old.example>
            <<< 554 mailbox unavailable
            """);
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "someone@old.example",
                null,
                Action.FAILED,
                "5.0.0",
                "<<< 554 mailbox unavailable",
                null));
  }

  @Test
  void aBounceNamingNoAddressIsOneRecipientWithoutAddress() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            """
            From: MAILER-DAEMON@appliance.example
            Subject: Delivery failure

            Your message could not be delivered. 452 too many recipients
            """);
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                null,
                null,
                Action.FAILED,
                "4.0.0",
                "Your message could not be delivered. 452 too many recipients",
                null));
  }

  @Test
  void aBounceTextWithoutAnyCodeFailsWithTheGenericPermanentStatus() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            """
            From: postmaster@appliance.example
            Subject: Undeliverable mail

            Your message could not be delivered to gone@appliance.example.
            """);
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "gone@appliance.example", null, Action.FAILED, "5.0.0", null, null));
  }

  @Test
  void theBouncesOwnAddressesAndDaemonAddressesAreNeverReportedAsRecipients() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            """
            From: Mail Delivery System <MAILER-DAEMON@mx.example>
            To: b+tok@bounces.postwire.example
            Subject: Mail delivery failed

            This message was created automatically by mail delivery software.
            Your message to b+tok@bounces.postwire.example could not reach
            dead@mx.example: 550 5.1.1 unknown. Contact postmaster@mx.example.
            """);
    assertThat(d.recipients())
        .extracting(RecipientStatus::finalRecipient)
        .containsExactly("dead@mx.example");
  }

  @Test
  void aBounceSubjectFromAnOrdinarySenderWithoutReplyCodeIsNotABounce() {
    assertThat(
            InboundReports.parse(
                Messages.crlf(
                    """
                    From: Alice <alice@example.org>
                    Subject: Undeliverable parcel, please advise

                    Hi, the parcel came back. Can you call me?
                    """)))
        .isInstanceOf(UnrecognizedMail.class);
  }

  @Test
  void eximXFailedRecipientsAloneMarksABounce() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            """
            From: relay@mx.example
            X-Failed-Recipients: a@x.example, b@x.example
            Subject: notice

            Something went wrong.
            """);
    assertThat(d.recipients())
        .extracting(RecipientStatus::finalRecipient)
        .containsExactly("a@x.example", "b@x.example");
  }

  @Test
  void yahooStyleBounceWithAColonAfterTheReplyCodeIsReadLikeQmail() {
    DeliveryReport d =
        parseAs(
            DeliveryReport.class,
            """
            From: MAILER-DAEMON@yahoo.example
            Subject: Failure Notice

            Sorry, we were unable to deliver your message to the following address.

            <nobody@yahoo.example>:
            554: delivery error: dd This user doesn't have a yahoo.example account
            """);
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "nobody@yahoo.example",
                null,
                Action.FAILED,
                "5.0.0",
                "554: delivery error: dd This user doesn't have a yahoo.example account",
                null));
  }
}

package io.postwire.inbound.report;

import static io.postwire.inbound.report.Messages.parseAs;
import static io.postwire.inbound.report.Messages.resource;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Auto-replies (RFC 3834 and the usual vacation conventions) are recognized, are never bounces, and
 * bounces that carry the same markers are never auto-replies.
 */
class AutoRepliesTest {

  private static String reply(String extraHeaders, String subject) {
    return """
        From: Erika <erika@firma.example>
        To: b+tok@bounces.postwire.example
        %sSubject: %s
        In-Reply-To: <pw.123@shop.example>

        I am away until Monday.
        """
        .formatted(extraHeaders, subject);
  }

  @Test
  void rfc3834Section5AutoSubmittedAutoRepliedIsAnAutoReply() {
    AutoReply a =
        parseAs(AutoReply.class, reply("Auto-Submitted: auto-replied\n", "Re: Your order"));
    assertThat(a.reason()).isEqualTo("Auto-Submitted: auto-replied");
    assertThat(a.original())
        .isEqualTo(
            new OriginalMessage(
                "<pw.123@shop.example>", null, null, "Erika <erika@firma.example>"));
  }

  @Test
  void rfc3834Section5AnyAutoSubmittedValueButNoCounts() {
    assertThat(
            parseAs(AutoReply.class, reply("Auto-Submitted: auto-generated (vacation)\n", "Hi"))
                .reason())
        .isEqualTo("Auto-Submitted: auto-generated");
    assertThat(
            parseAs(
                    AutoReply.class,
                    reply("Auto-Submitted: Auto-Notified; owner-email=x@y.example\n", "Hi"))
                .reason())
        .isEqualTo("Auto-Submitted: auto-notified");
    assertThat(InboundReports.parse(Messages.crlf(reply("Auto-Submitted: no\n", "Re: Your order"))))
        .isInstanceOf(UnrecognizedMail.class);
  }

  @Test
  void xAutoreplyXAutorespondAndPrecedenceAutoReplyAreAutoReplies() {
    assertThat(parseAs(AutoReply.class, reply("X-Autoreply: yes\n", "Hi")).reason())
        .isEqualTo("X-Autoreply");
    assertThat(parseAs(AutoReply.class, reply("X-Autorespond: Thank you\n", "Hi")).reason())
        .isEqualTo("X-Autorespond");
    assertThat(parseAs(AutoReply.class, reply("Precedence: auto_reply\n", "Hi")).reason())
        .isEqualTo("Precedence: auto_reply");
  }

  @Test
  void vacationSubjectsAreAutoRepliesInSeveralLanguagesAndEncodings() {
    assertThat(parseAs(AutoReply.class, reply("", "Out of Office: Your order")).reason())
        .isEqualTo("Subject: out of office");
    assertThat(parseAs(AutoReply.class, reply("", "Automatic reply: Your order")).reason())
        .isEqualTo("Subject: automatic reply");
    assertThat(
            parseAs(
                    AutoReply.class,
                    reply("", "=?ISO-8859-1?Q?R=E9ponse_automatique=A0:_Commande?="))
                .reason())
        .isEqualTo("Subject: réponse automatique");
    AutoReply de = parseAs(AutoReply.class, resource("vacation-de.eml"));
    assertThat(de.reason()).isEqualTo("Subject: abwesenheitsnotiz");
    assertThat(de.original().messageId()).isEqualTo("<pw.555@shop.example>");
  }

  @Test
  void anOrdinaryReplyIsUnrecognized() {
    assertThat(InboundReports.parse(Messages.crlf(reply("", "Re: Your order"))))
        .isInstanceOf(UnrecognizedMail.class);
  }

  @Test
  void rfc3464Section4ADsnCarryingAutoSubmittedIsADeliveryReportNotAnAutoReply() {
    // Postfix writes Auto-Submitted: auto-replied on every DSN
    assertThat(InboundReports.parse(resource("postfix-dsn.eml")))
        .isInstanceOf(DeliveryReport.class);
  }

  @Test
  void anEximBounceCarryingAutoSubmittedIsABounceNotAnAutoReply() {
    assertThat(InboundReports.parse(resource("exim-bounce.eml")))
        .isInstanceOf(DeliveryReport.class);
  }

  @Test
  void anAutoReplyQuotingAnSmtpCodeIsStillNeverABounce() {
    AutoReply a =
        parseAs(
            AutoReply.class,
            """
            From: Bob <bob@firma.example>
            To: b+tok@bounces.postwire.example
            Subject: Automatic reply: Undeliverable: 550 5.1.1 user unknown
            Auto-Submitted: auto-replied

            I am out of the office. Call 550 123 456.
            """);
    assertThat(a.reason()).isEqualTo("Auto-Submitted: auto-replied");
  }
}

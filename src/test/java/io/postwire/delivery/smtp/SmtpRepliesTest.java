package io.postwire.delivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reply parsing: RFC 5321 §4.2.1 (multi-line), RFC 3463 / RFC 2034 (enhanced codes). */
class SmtpRepliesTest {

  @Test
  void joinsMultiLineReplyTextAndKeepsTheCode_rfc5321_4_2_1() {
    SmtpReply reply =
        SmtpReplies.parse(List.of("250-mx.example.test Hello", "250-PIPELINING", "250 SIZE 1000"));
    assertThat(reply.code()).isEqualTo(250);
    assertThat(reply.enhancedCode()).isNull();
    assertThat(reply.text()).isEqualTo("mx.example.test Hello PIPELINING SIZE 1000");
  }

  @Test
  void extractsEnhancedCodeFromEveryLineOfAReply_rfc2034_4() {
    SmtpReply reply =
        SmtpReplies.parse(
            List.of(
                "550-5.1.1 The email account that you tried to reach", "550 5.1.1 does not exist"));
    assertThat(reply.code()).isEqualTo(550);
    assertThat(reply.enhancedCode()).isEqualTo("5.1.1");
    assertThat(reply.text()).isEqualTo("The email account that you tried to reach does not exist");
    assertThat(reply.permanentFailure()).isTrue();
  }

  @Test
  void ignoresEnhancedCodeWhoseClassDiffersFromTheReplyCode_rfc2034_4() {
    SmtpReply reply = SmtpReplies.parse("450 5.1.1 mailbox busy");
    assertThat(reply.enhancedCode()).isNull();
    assertThat(reply.text()).isEqualTo("5.1.1 mailbox busy");
    assertThat(SmtpReplies.enhancedCode(250, "2.0.0 Ok")).isEqualTo("2.0.0");
    assertThat(SmtpReplies.enhancedCode(250, "5.0.0 Ok")).isNull();
  }

  @Test
  void acceptsThreeDigitSubjectAndDetail_rfc3463_2() {
    assertThat(SmtpReplies.parse("552 5.3.4 Message too big").enhancedCode()).isEqualTo("5.3.4");
    assertThat(SmtpReplies.parse("451 4.123.456 odd but valid").enhancedCode())
        .isEqualTo("4.123.456");
    assertThat(SmtpReplies.parse("451 4.1234.5 too long").enhancedCode()).isNull();
  }

  @Test
  void bareCodeIsAReplyWithEmptyText_rfc5321_4_2() {
    SmtpReply reply = SmtpReplies.parse("250");
    assertThat(reply.code()).isEqualTo(250);
    assertThat(reply.text()).isEmpty();
  }

  @Test
  void malformedReplyIsATransientFailureWithCodeZero() {
    SmtpReply reply = SmtpReplies.parse("HTTP/1.1 400 Bad Request");
    assertThat(reply.code()).isZero();
    assertThat(reply.transientFailure()).isTrue();
    assertThat(reply.text()).contains("HTTP/1.1 400");
    assertThat(SmtpReplies.parse("2500 too long").code()).isZero();
  }

  @Test
  void readsExplicitRetryHints() {
    assertThat(SmtpReplies.retryAfter("4.7.1 Greylisted, please try again in 5 minutes"))
        .contains(Duration.ofMinutes(5));
    assertThat(SmtpReplies.retryAfter("Busy, retry in 30 seconds"))
        .contains(Duration.ofSeconds(30));
    assertThat(SmtpReplies.retryAfter("Try again after 2 hours")).contains(Duration.ofHours(2));
    assertThat(SmtpReplies.retryAfter("Retry in 90s")).contains(Duration.ofSeconds(90));
    assertThat(SmtpReplies.parse("451 4.7.1 Greylisted, try again in 300 secs").retryAfter())
        .contains(Duration.ofSeconds(300));
  }

  @Test
  void vagueRetryTextsGiveNoHint() {
    assertThat(SmtpReplies.retryAfter("Try again later")).isEmpty();
    assertThat(SmtpReplies.retryAfter("4.2.0 Mailbox busy")).isEmpty();
    assertThat(SmtpReplies.retryAfter(null)).isEmpty();
  }

  @Test
  void replacesNulAndControlCharactersButKeepsTab() {
    SmtpReply reply = SmtpReplies.parse(List.of("550 5.1.1 no such\0user\u0007\u0085\tend\u007f"));
    assertThat(reply.code()).isEqualTo(550);
    assertThat(reply.enhancedCode()).isEqualTo("5.1.1");
    assertThat(reply.text()).isEqualTo("no such user  \tend ");
  }

  @Test
  void capsTheReplyTextAtOneKibibyte() {
    SmtpReply reply = SmtpReplies.parse(List.of("550 " + "x".repeat(10_000)));
    assertThat(reply.text()).hasSize(SmtpReply.MAX_TEXT).endsWith("...");
    assertThat(SmtpReply.noReply("a\0b").text()).isEqualTo("a b");
    assertThat(SmtpReply.noReply("\ud83d\ude00".repeat(600)).text())
        .hasSizeLessThanOrEqualTo(SmtpReply.MAX_TEXT)
        .doesNotContain("\ud83d.");
  }
}

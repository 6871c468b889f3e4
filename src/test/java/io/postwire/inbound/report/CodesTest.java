package io.postwire.inbound.report;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Reply codes (RFC 5321 section 4.2) and enhanced status codes (RFC 3463) found in text. */
class CodesTest {

  @Test
  void rfc3463EnhancedCodesStandAloneWithOneToThreeDigitSubjectAndDetail() {
    assertThat(Codes.enhanced("550 5.1.1 user unknown")).isEqualTo("5.1.1");
    assertThat(Codes.enhanced("said: 550-5.7.26 unauthenticated")).isEqualTo("5.7.26");
    assertThat(Codes.enhanced("(#4.4.1)")).isEqualTo("4.4.1");
    assertThat(Codes.enhanced("RESOLVER 5.1.10 not found")).isEqualTo("5.1.10");
    assertThat(Codes.enhanced("status 2.0.0")).isEqualTo("2.0.0");
  }

  @Test
  void addressesVersionsAndDatesAreNotEnhancedCodes() {
    assertThat(Codes.enhanced("host 192.0.2.5.1 and 10.5.1.1")).isNull();
    assertThat(Codes.enhanced("Exim 4.96 on 5.12.2026")).isNull();
    assertThat(Codes.enhanced("version 5.1.1.4")).isNull();
    assertThat(Codes.enhanced("3.1.1 or 6.1.1")).isNull();
    assertThat(Codes.enhanced(null)).isNull();
  }

  @Test
  void rfc5321Section4_2BasicCodesAreFourOrFiveHundredsFollowedBySeparator() {
    assertThat(Codes.basic("<<< 554 mailbox unavailable")).isEqualTo(554);
    assertThat(Codes.basic("550-first line of many")).isEqualTo(550);
    assertThat(Codes.basic("returned '550 5.1.10 x'")).isEqualTo(550);
    assertThat(Codes.basic("421")).isEqualTo(421);
    assertThat(Codes.basic("250 ok, then 452 too many")).isEqualTo(452);
  }

  @Test
  void timesNumbersAndHostsAreNotBasicCodes() {
    assertThat(Codes.basic("at 17:45:00 -0400 on port 25")).isEqualTo(-1);
    assertThat(Codes.basic("size 4500 bytes, id 550abc, mx-550 and 192.0.2.550")).isEqualTo(-1);
    assertThat(Codes.basic("250 2.0.0 ok")).isEqualTo(-1);
  }

  @Test
  void statusPrefersTheEnhancedCodeElseDerivesClassZeroZero() {
    assertThat(Codes.status("550 5.2.2 mailbox full")).isEqualTo("5.2.2");
    assertThat(Codes.status("550 mailbox full")).isEqualTo("5.0.0");
    assertThat(Codes.status("451 try later")).isEqualTo("4.0.0");
    assertThat(Codes.status("no code here")).isNull();
  }
}

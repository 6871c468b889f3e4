package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.postwire.dns.SpfRecord.Directive;
import io.postwire.dns.SpfRecord.Mechanism;
import io.postwire.dns.SpfRecord.Qualifier;
import java.time.Duration;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The SPF record grammar of RFC 7208 §4.6 and §12. */
class SpfRecordTest {

  @Test
  void parsesTheRfc7208AppendixA1ExampleRecord() {
    SpfRecord record = SpfRecord.parse("v=spf1 +mx a:colo.example.com/28 -all");

    assertThat(record.directives())
        .extracting(Directive::qualifier, Directive::mechanism)
        .containsExactly(
            Tuple.tuple(Qualifier.PASS, Mechanism.MX),
            Tuple.tuple(Qualifier.PASS, Mechanism.A),
            Tuple.tuple(Qualifier.FAIL, Mechanism.ALL));
    Directive a = record.directives().get(1);
    assertThat(a.domain()).hasToString("colo.example.com");
    assertThat(a.cidr4()).isEqualTo(28);
    assertThat(a.cidr6()).isEqualTo(128);
  }

  @Test
  void readsDualCidrLengths_rfc7208_5_6() {
    Directive a = SpfRecord.parse("v=spf1 a//64 mx:example.org/24//48").directives().get(0);
    Directive mx = SpfRecord.parse("v=spf1 a//64 mx:example.org/24//48").directives().get(1);

    assertThat(a.domain()).isNull();
    assertThat(a.cidr4()).isEqualTo(32);
    assertThat(a.cidr6()).isEqualTo(64);
    assertThat(mx.domain()).hasToString("example.org");
    assertThat(mx.cidr4()).isEqualTo(24);
    assertThat(mx.cidr6()).isEqualTo(48);
  }

  @Test
  void readsIpNetworks_rfc7208_5_6() {
    SpfRecord record = SpfRecord.parse("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip6:::1 -all");

    assertThat(record.directives().get(0).network().getHostAddress()).isEqualTo("192.0.2.0");
    assertThat(record.directives().get(0).cidr4()).isEqualTo(24);
    assertThat(record.directives().get(1).network().getHostAddress())
        .isEqualTo("2001:db8:0:0:0:0:0:0");
    assertThat(record.directives().get(1).cidr6()).isEqualTo(32);
    assertThat(record.directives().get(2).cidr6()).isEqualTo(128);
  }

  @Test
  void readsModifiersAndMacros_rfc7208_6_and_7() {
    SpfRecord record =
        SpfRecord.parse(
            "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} redirect=_spf.example.com exp=explain._spf.%{d} x-custom=anything");

    assertThat(record.redirect())
        .hasValueSatisfying(r -> assertThat(r).hasToString("_spf.example.com"));
    assertThat(record.explanation())
        .hasValueSatisfying(e -> assertThat(e).hasToString("explain._spf.%{d}"));
    MacroString exists = record.directives().get(0).domain();
    assertThat(exists.parts().get(2)).isEqualTo(new MacroString.Macro('l', false, 1, true, "+-"));
    assertThat(record.terms()).hasSize(4);
  }

  @Test
  void recognisesTheVersionCaseInsensitivelyButOnlyAsAWholeWord_rfc7208_4_5() {
    assertThat(SpfRecord.isSpf("V=SPF1 -all")).isTrue();
    assertThat(SpfRecord.isSpf("v=spf1")).isTrue();
    assertThat(SpfRecord.isSpf("v=spf10 -all")).isFalse();
    assertThat(SpfRecord.isSpf("spf2.0/pra -all")).isFalse();
  }

  @Test
  void treatsMechanismNamesCaseInsensitively_rfc7208_4_6_1() {
    assertThat(SpfRecord.parse("v=spf1 MX -ALL Include:example.org").directives())
        .extracting(Directive::mechanism)
        .containsExactly(Mechanism.MX, Mechanism.ALL, Mechanism.INCLUDE);
  }

  @Test
  void acceptsTrailingAndRepeatedSpaces_rfc7208_12() {
    assertThat(SpfRecord.parse("v=spf1  mx   -all  ").directives()).hasSize(2);
  }

  @ParameterizedTest(name = "[{index}] {0} -> position {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "v=spf1 foo:example.org -all          | 8  | unknown mechanism",
        "v=spf1 -all:example.org              | 12 | takes no argument",
        "v=spf1 include                       | 15 | needs ':'",
        "v=spf1 include:                      | 15 | needs ':'",
        "v=spf1 a:example.org/33              | 21 | above 32",
        "v=spf1 a//129                        | 9  | above 128",
        "v=spf1 ip4:192.0.2.256               | 12 | invalid ip4",
        "v=spf1 ip4:192.0.2.1/024             | 12 | invalid ip4",
        "v=spf1 ip6:2001:db8::1::2            | 12 | invalid ip6",
        "v=spf1 a:example.123                 | 10 | top-level label",
        "v=spf1 exists:%{q}.example.org       | 15 | unknown macro letter",
        "v=spf1 exists:%{c}.example.org       | 15 | only allowed in explanation",
        "v=spf1 exists:%{d0}.example.org      | 15 | 1-128",
        "v=spf1 exists:%{d}%x.example.org     | 19 | must be followed by",
        "v=spf1 exists:%{d.example.org        | 15 | unterminated macro",
        "v=spf1 redirect=a.org redirect=b.org | 23 | more than one redirect",
        "v=spf1 exp=a.org exp=b.org           | 18 | more than one exp",
        "v=spf1 -all\tmx                      | 12 | takes no argument",
      })
  void reportsSyntaxErrorsWithTheirPosition_rfc7208_4_6(
      String record, int position, String message) {
    assertThatThrownBy(() -> SpfRecord.parse(record))
        .isInstanceOfSatisfying(
            RecordSyntaxException.class, e -> assertThat(e.position()).isEqualTo(position))
        .hasMessageContaining(message);
  }

  @Test
  void refusesNonAsciiInARecord_rfc7208_4_6() {
    assertThatThrownBy(() -> SpfRecord.parse("v=spf1 a:éxample.org"))
        .isInstanceOf(RecordSyntaxException.class)
        .hasMessageContaining("not allowed");
  }

  @Test
  void checksTheTopLabelOfAHugeDomainSpecInLinearTime_rfc7208_7_1() {
    // a 64 KB label that is no top label: the check must not backtrack over every split point
    String label = "a".repeat(64_000) + "!";

    assertTimeoutPreemptively(
        Duration.ofSeconds(2),
        () ->
            assertThatThrownBy(() -> SpfRecord.parse("v=spf1 include:x." + label + " -all"))
                .isInstanceOf(RecordSyntaxException.class)
                .hasMessageContaining("top-level label"));
  }

  @ParameterizedTest(name = "domain-end of \"{0}\" valid: {1}")
  @CsvSource({
    "example.com, true",
    "example.com., true",
    "example.c0m, true",
    "example.123, false",
    "example.1-2, true",
    "example.-ab, false",
    "example.ab-, false",
    "example.a_b, false",
    "com, false",
    "x.%{d}.com, true",
    "example., false"
  })
  void acceptsOnlyDomainSpecsEndingInATopLabel_rfc7208_7_1(String spec, boolean valid) {
    String record = "v=spf1 include:" + spec + " -all";
    if (valid) {
      assertThat(SpfRecord.parse(record).directives()).hasSize(2);
    } else {
      assertThatThrownBy(() -> SpfRecord.parse(record)).isInstanceOf(RecordSyntaxException.class);
    }
  }
}

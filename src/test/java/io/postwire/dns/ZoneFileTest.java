package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** TXT records as zone file lines (RFC 1035 §3.3.14, §5.1). */
class ZoneFileTest {

  @Test
  void splitsTextIntoStringsOfAtMost255Octets() {
    String text = "a".repeat(255) + "b".repeat(256);
    assertThat(ZoneFile.txtLine("s._domainkey.example.com", text))
        .isEqualTo(
            "s._domainkey.example.com. 3600 IN TXT \""
                + "a".repeat(255)
                + "\" \""
                + "b".repeat(255)
                + "\" \"b\"");
  }

  @Test
  void aShortTextIsOneStringAndAnEmptyOneAnEmptyString() {
    assertThat(ZoneFile.quotedStrings("v=spf1 -all")).isEqualTo("\"v=spf1 -all\"");
    assertThat(ZoneFile.quotedStrings("")).isEqualTo("\"\"");
  }

  @Test
  void escapesQuotesBackslashesAndOctetsOutsidePrintableAscii() {
    assertThat(ZoneFile.quotedStrings("a\"b\\c\u00e9")).isEqualTo("\"a\\\"b\\\\c\\195\\169\"");
  }

  @Test
  void countsEscapedOctetsOnceWhenSplitting() {
    String text = "\"".repeat(256);
    assertThat(ZoneFile.quotedStrings(text)).isEqualTo("\"" + "\\\"".repeat(255) + "\" \"\\\"\"");
  }
}

package io.postwire.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of the spamd answer parser and the content checks: a report table written as
 * SpamAssassin writes it reads back as its rules; no input, however garbled, makes either throw
 * anything but {@link Spamd.SpamdUnavailable}.
 */
class SpamdParsingProperties {

  @Provide
  Arbitrary<SpamReport.Rule> rules() {
    Arbitrary<String> names =
        Arbitraries.strings()
            .withChars("ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")
            .ofMinLength(2)
            .ofMaxLength(22)
            .filter(n -> Character.isLetter(n.charAt(0)));
    Arbitrary<Double> scores = Arbitraries.integers().between(-999, 999).map(i -> i / 10.0);
    Arbitrary<String> descriptions =
        Arbitraries.strings()
            .withChars("abcdefghij KLMN:.,-[]0123")
            .ofMinLength(1)
            .ofMaxLength(60)
            .map(String::strip)
            .filter(s -> !s.isEmpty() && !Character.isDigit(s.charAt(0)));
    return Combinators.combine(names, scores, descriptions).as(SpamReport.Rule::new);
  }

  @Provide
  Arbitrary<List<SpamReport.Rule>> ruleLists() {
    return rules().list().ofMaxSize(12);
  }

  @Property(tries = 500)
  void aReportTableReadsBackAsItsRules(@ForAll("ruleLists") List<SpamReport.Rule> rules) {
    StringBuilder table =
        new StringBuilder(
            "Content analysis details:   (1.0 points, 5.0 required)\r\n\r\n"
                + " pts rule name              description\r\n"
                + "---- ---------------------- --------------------------------------------------\r\n");
    for (SpamReport.Rule r : rules) {
      table.append(
          String.format(Locale.ROOT, "%4.1f %-22s %s\r\n", r.score(), r.name(), r.description()));
    }
    table.append("\r\n");
    String answer =
        "SPAMD/1.1 0 EX_OK\r\nContent-length: "
            + table.length()
            + "\r\nSpam: False ; 1.0 / 5.0\r\n\r\n"
            + table;
    SpamReport report = Spamd.parse(answer.getBytes(StandardCharsets.UTF_8));
    assertThat(report.rules()).containsExactlyElementsOf(rules);
  }

  @Property(tries = 2000)
  void garbledAnswersFailOnlyAsNoAnswer(@ForAll byte[] reply) {
    try {
      Spamd.parse(reply);
    } catch (Spamd.SpamdUnavailable expected) {
      // no answer: that is all a garbled reply may be
    }
  }

  @Property(tries = 1000)
  void garbledAnswersAfterAValidHeadFailOnlyAsNoAnswer(@ForAll String body) {
    byte[] reply =
        ("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\n\r\n" + body)
            .getBytes(StandardCharsets.UTF_8);
    assertThatCode(() -> Spamd.parse(reply)).doesNotThrowAnyException();
  }

  @Property(tries = 1000)
  void contentChecksNeverThrow(@ForAll byte[] message) {
    ContentChecks.Content content = ContentChecks.inspect(message, true);
    assertThat(content.bytes()).isEqualTo(message.length);
  }

  @Property(tries = 500)
  void contentChecksOfAnyHtmlNeverThrow(@ForAll String html) {
    String message =
        "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n"
            + java.util.Base64.getMimeEncoder()
                .encodeToString(html.getBytes(StandardCharsets.UTF_8))
            + "\r\n";
    ContentChecks.inspect(message.getBytes(StandardCharsets.US_ASCII), false);
  }
}

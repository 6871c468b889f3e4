package io.postwire.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.dkim.DkimConfig;
import io.postwire.security.SignedTokens;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * What the inbound side reads from hostile input: VERP tokens (only ours, unaltered, name a
 * delivery), report blocks (only those about the delivery's own recipient touch it), and the text
 * it stores (always printable and bounded).
 */
class InboundPropertiesTest {

  private static final SignedTokens TOKENS =
      new SignedTokens(
          new DkimConfig() {
            @Override
            public Optional<String> masterKey() {
              return Optional.of(Base64.getEncoder().encodeToString(new byte[32]));
            }

            @Override
            public Optional<List<String>> previousMasterKeys() {
              return Optional.empty();
            }
          });

  private static final Verp VERP = new Verp(null, TOKENS);

  @Property(tries = 500)
  void everyDeliveryIdComesBackFromItsVerpLocalPartInAnyCase(@ForAll @LongRange(min = 1) long id) {
    String local = "b+" + VERP.token(id);
    assertThat(local.length()).isLessThanOrEqualTo(64); // RFC 5321 §4.5.3.1.1
    assertThat(VERP.delivery(local)).isEqualTo(OptionalLong.of(id));
    assertThat(VERP.delivery(local.toUpperCase())).isEqualTo(OptionalLong.of(id));
  }

  @Property(tries = 1000)
  void anAlteredTokenNamesNoDelivery(
      @ForAll @LongRange(min = 1) long id,
      @ForAll @IntRange(min = 0, max = 100) int position,
      @ForAll @IntRange(min = 1, max = 31) int shift) {
    String token = VERP.token(id);
    int at = position % token.length();
    String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    char changed = alphabet.charAt((alphabet.indexOf(token.charAt(at)) + shift) % 32);
    String altered = token.substring(0, at) + changed + token.substring(at + 1);
    assertThat(VERP.delivery("b+" + altered)).isEmpty();
  }

  @Property(tries = 300)
  void aTokenOfAnotherPurposeOrGarbageIsNoVerpToken(
      @ForAll @Size(max = 40) byte[] payload, @ForAll("localParts") String garbage) {
    assertThat(VERP.delivery("b+" + TOKENS.signLowerCase("unsubscribe", payload))).isEmpty();
    assertThat(VERP.delivery(garbage)).isEmpty();
  }

  @Provide
  Arbitrary<String> localParts() {
    return Arbitraries.strings().withChars("ab+cxyz234567.-_=!").ofMaxLength(80);
  }

  @Provide
  Arbitrary<String> addresses() {
    return Arbitraries.strings()
        .withChars("abcXYZ09.-+_")
        .ofMinLength(1)
        .ofMaxLength(20)
        .flatMap(
            local ->
                Arbitraries.of("example.net", "EXAMPLE.net", "other.test", "example.net.evil")
                    .map(domain -> local + "@" + domain));
  }

  @Property(tries = 500)
  void aDsnTouchesADeliveryOnlyWhenItNamesThatRecipient(
      @ForAll("addresses") String reported,
      @ForAll("addresses") String recipient,
      @ForAll boolean failed) {
    String dsn =
        TestReports.dsn(
            "b+x@bounces.test",
            reported,
            failed ? "failed" : "delayed",
            failed ? "5.1.1" : "4.2.2",
            (failed ? "550 5.1.1" : "452 4.2.2") + " no");
    List<Finding> findings = new ReportReader().read(dsn.getBytes(StandardCharsets.UTF_8));
    assertThat(findings).hasSize(1).first().isInstanceOf(Finding.Dsn.class);
    Finding.Dsn block = (Finding.Dsn) findings.get(0);
    assertThat(block.failed()).isEqualTo(failed);
    assertThat(Reports.concerns(block, recipient)).isEqualTo(reported.equalsIgnoreCase(recipient));
  }

  @Property(tries = 300)
  void anythingAtAllIsReadWithoutThrowingAndWithoutNamingAnUnnamedRecipient(
      @ForAll @Size(max = 4000) byte[] junk) {
    List<Finding> findings = new ReportReader().read(junk);
    assertThat(findings).isNotEmpty();
    for (Finding f : findings) {
      if (f instanceof Finding.Dsn dsn && dsn.standard()) {
        assertThat(Reports.concerns(dsn, "nobody-named-here@example.invalid")).isFalse();
      }
    }
  }

  @Property(tries = 1000)
  void storedTextIsPrintableAndBounded(
      @ForAll String text, @ForAll @IntRange(min = 1, max = 300) int max) {
    String p = Reports.printable(text, max);
    assertThat(p.length()).isLessThanOrEqualTo(max);
    for (char c : p.toCharArray()) {
      assertThat(Character.isISOControl(c) || Character.isSurrogate(c)).isFalse();
    }
  }

  @Property(tries = 1000)
  void aStatusIsAlwaysAnRfc3463CodeOfTheRightClass(@ForAll String given, @ForAll boolean failed) {
    String status = Reports.status(given, failed);
    assertThat(status).matches("[45]\\.\\d{1,3}\\.\\d{1,3}");
    assertThat(status.charAt(0)).isEqualTo(failed ? '5' : '4');
  }

  @Test
  void theReplyCodeComesFromTheDiagnosticOnlyWhenItAgreesWithTheStatus() {
    assertThat(Reports.replyCode("554 5.7.1 rejected", "5.7.1")).isEqualTo(554);
    assertThat(Reports.replyCode("250 ok", "5.1.1")).isEqualTo(550);
    assertThat(Reports.replyCode(null, "4.2.2")).isEqualTo(450);
    assertThat(ReportReader.typed("smtp; 550 5.1.1 <a@b>: no")).isEqualTo("550 5.1.1 <a@b>: no");
    assertThat(ReportReader.typed("550 no; really")).isEqualTo("550 no; really");
  }
}

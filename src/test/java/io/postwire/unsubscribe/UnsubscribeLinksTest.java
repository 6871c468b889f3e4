package io.postwire.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.dkim.DkimConfig;
import io.postwire.platform.PublicUrl;
import io.postwire.platform.Refusal;
import io.postwire.security.SignedTokens;
import java.net.URI;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The List-Unsubscribe value and its tokens: they name one message, and nothing else passes. */
class UnsubscribeLinksTest {

  static final Pattern VALUE =
      Pattern.compile(
          "<https://mail\\.example\\.com/u/([A-Za-z0-9_-]+)>, <mailto:u\\+([a-z2-7]+)@bounces\\.example\\.com>");

  static SignedTokens tokens() {
    return new SignedTokens(
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
  }

  static UnsubscribeLinks links(String publicUrl, String inboundDomain) {
    UnsubscribeConfig config =
        new UnsubscribeConfig() {
          @Override
          public boolean onByDefault() {
            return false;
          }

          @Override
          public double rate() {
            return 0;
          }

          @Override
          public int burst() {
            return 1;
          }
        };
    PublicUrl url = () -> Optional.ofNullable(publicUrl).map(URI::create);
    ReturnPathDomain domain = () -> Optional.ofNullable(inboundDomain);
    return new UnsubscribeLinks(config, url, domain, tokens());
  }

  static final UnsubscribeLinks LINKS = links("https://mail.example.com/", "Bounces.Example.com");

  static Matcher parts(UUID id) {
    Matcher m = VALUE.matcher(LINKS.listUnsubscribe(id));
    assertThat(m.matches()).as(LINKS.listUnsubscribe(id)).isTrue();
    return m;
  }

  @Test
  void theValueHoldsAnHttpsAndAMailtoUriThatBothNameTheMessageRfc8058Section3_1() {
    UUID id = UUID.randomUUID();
    Matcher m = parts(id);
    assertThat(LINKS.messageOfLink(m.group(1))).contains(id);
    assertThat(LINKS.messageOfLocalPart("u+" + m.group(2))).contains(id);
    // receivers may fold the case of a local part
    assertThat(LINKS.messageOfLocalPart(("u+" + m.group(2)).toUpperCase())).contains(id);
    assertThat(("u+" + m.group(2)).length()).isLessThanOrEqualTo(64);
  }

  @Test
  void aTokenOfAnotherPurposeIsRefused() {
    byte[] payload = new byte[16];
    SignedTokens tokens = tokens();
    assertThat(LINKS.messageOfLink(tokens.sign("verp", payload))).isEmpty();
    assertThat(LINKS.messageOfLocalPart("u+" + tokens.signLowerCase("verp", payload))).isEmpty();
    assertThat(LINKS.messageOfLink(tokens.sign("unsubscribe", payload))).isPresent();
  }

  @Test
  void withoutPublicUrlOrInboundDomainTheSendIsRefusedNamingTheSetting() {
    assertThatThrownBy(() -> links(null, "bounces.example.com").check())
        .isInstanceOf(Refusal.class)
        .hasMessageContaining("postwire.public-url");
    assertThatThrownBy(() -> links("https://mail.example.com", null).check())
        .isInstanceOf(Refusal.class)
        .hasMessageContaining("postwire.inbound.domain")
        .message()
        .doesNotContain("postwire.public-url");
  }

  @Provide
  Arbitrary<String> alterations() {
    return Arbitraries.of("replace", "insert", "delete", "truncate", "append");
  }

  /**
   * An altered token never names another message: it is refused, or (base64's unused low bits of
   * the last character) decodes to exactly the same bytes and so the same message.
   */
  @Property(tries = 500)
  void alteredTokensNeverNameAnotherMessage(
      @ForAll long high,
      @ForAll long low,
      @ForAll("alterations") String how,
      @ForAll int position,
      @ForAll char replacement) {
    UUID id = new UUID(high, low);
    Matcher m = parts(id);
    for (boolean mailto : new boolean[] {false, true}) {
      String token = mailto ? m.group(2) : m.group(1);
      int i = Math.floorMod(position, token.length());
      String altered =
          switch (how) {
            case "replace" -> token.substring(0, i) + replacement + token.substring(i + 1);
            case "insert" -> token.substring(0, i) + replacement + token.substring(i);
            case "delete" -> token.substring(0, i) + token.substring(i + 1);
            case "truncate" -> token.substring(0, i);
            default -> token + replacement;
          };
      Optional<UUID> named =
          mailto ? LINKS.messageOfLocalPart("u+" + altered) : LINKS.messageOfLink(altered);
      if (altered.equalsIgnoreCase(token) && mailto || altered.equals(token)) {
        assertThat(named).contains(id);
      } else if (named.isPresent()) {
        assertThat(named).contains(id);
        assertThat(Base64.getUrlDecoder().decode(altered))
            .isEqualTo(Base64.getUrlDecoder().decode(token));
      }
    }
  }
}

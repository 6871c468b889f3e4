package io.postwire.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.dkim.DkimConfig;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class SignedTokensTest {

  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);
  private static final String OTHER;

  static {
    byte[] other = new byte[32];
    Arrays.fill(other, (byte) 7);
    OTHER = Base64.getEncoder().encodeToString(other);
  }

  private static SignedTokens tokens(String key, String... previous) {
    return new SignedTokens(
        new DkimConfig() {
          @Override
          public Optional<String> masterKey() {
            return Optional.of(key);
          }

          @Override
          public Optional<List<String>> previousMasterKeys() {
            return Optional.of(List.of(previous));
          }
        });
  }

  @Property(tries = 200)
  void everyPayloadComesBackInBothEncodings(@ForAll @Size(max = 64) byte[] payload) {
    SignedTokens tokens = tokens(KEY);
    assertThat(tokens.verify("verp", tokens.sign("verp", payload))).contains(payload);
    String lower = tokens.signLowerCase("verp", payload);
    assertThat(lower).isLowerCase();
    assertThat(tokens.verifyLowerCase("verp", lower)).contains(payload);
    assertThat(tokens.verifyLowerCase("verp", lower.toUpperCase())).contains(payload);
  }

  @Property(tries = 200)
  void anyAlteredCharacterIsRefused(
      @ForAll @Size(min = 1, max = 32) byte[] payload, @ForAll int position) {
    SignedTokens tokens = tokens(KEY);
    String token = tokens.signLowerCase("unsubscribe", payload);
    int i = Math.floorMod(position, token.length());
    char replaced = token.charAt(i) == 'a' ? 'b' : 'a';
    String altered = token.substring(0, i) + replaced + token.substring(i + 1);
    assertThat(tokens.verifyLowerCase("unsubscribe", altered)).isEmpty();
  }

  @Test
  void aTokenForOnePurposeDoesNotPassForAnother() {
    SignedTokens tokens = tokens(KEY);
    String token = tokens.sign("track-click", new byte[] {1, 2, 3});
    assertThat(tokens.verify("track-click", token)).isPresent();
    assertThat(tokens.verify("verp", token)).isEmpty();
  }

  @Test
  void tokensMadeBeforeAMasterKeyRotationStillVerify() {
    String old = tokens(KEY).sign("verp", new byte[] {9});
    assertThat(tokens(OTHER, KEY).verify("verp", old)).contains(new byte[] {9});
    assertThat(tokens(OTHER).verify("verp", old)).isEmpty();
  }

  @Test
  void garbageIsRefusedNotThrown() {
    SignedTokens tokens = tokens(KEY);
    for (String junk : new String[] {"", "!!!", "a", "zz", "x".repeat(600), null}) {
      assertThat(tokens.verify("verp", junk)).isEmpty();
      assertThat(tokens.verifyLowerCase("verp", junk)).isEmpty();
    }
  }
}

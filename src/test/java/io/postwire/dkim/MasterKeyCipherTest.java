package io.postwire.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** AES-256-GCM sealing of DKIM private keys (NIST SP 800-38D). */
class MasterKeyCipherTest {

  static String newMasterKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  final MasterKeyCipher cipher = new MasterKeyCipher(newMasterKey());
  final byte[] ad = MasterKeyCipher.associatedData("example.org", "s1");
  final byte[] secret =
      "-----PRIVATE KEY MATERIAL 0123456789-----".getBytes(StandardCharsets.US_ASCII);

  @Test
  void roundTripsAPrivateKey() {
    byte[] pkcs8 = DkimKeys.encodePrivate(DkimKeys.generate(DkimAlgorithm.RSA_SHA256).getPrivate());
    assertThat(cipher.open(cipher.seal(pkcs8, ad), ad)).isEqualTo(pkcs8);
  }

  @Test
  void sealedLayoutIsVersionNonceCiphertextAndTag() {
    byte[] sealed = cipher.seal(secret, ad);
    assertThat(sealed[0]).isEqualTo((byte) 1);
    assertThat(sealed).hasSize(1 + 12 + secret.length + 16);
  }

  @Test
  void usesAFreshNonceEveryCall() {
    assertThat(cipher.seal(secret, ad)).isNotEqualTo(cipher.seal(secret, ad));
  }

  @Test
  void ciphertextDoesNotContainThePlaintext() {
    String sealed = new String(cipher.seal(secret, ad), StandardCharsets.ISO_8859_1);
    assertThat(sealed).doesNotContain("PRIVATE KEY").doesNotContain("0123456789");
  }

  @Test
  void failsWithOtherAssociatedDataSoAKeyCannotMoveToAnotherDomain() {
    byte[] sealed = cipher.seal(secret, ad);
    assertThatThrownBy(() -> cipher.open(sealed, MasterKeyCipher.associatedData("evil.org", "s1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not authenticate");
    assertThatThrownBy(
            () -> cipher.open(sealed, MasterKeyCipher.associatedData("example.org", "s2")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void failsWhenAnyByteIsTampered() {
    byte[] sealed = cipher.seal(secret, ad);
    for (int i = 1; i < sealed.length; i++) {
      byte[] t = sealed.clone();
      t[i] ^= 0x01;
      assertThatThrownBy(() -> cipher.open(t, ad))
          .as("byte %d", i)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void failsUnderAnotherMasterKey() {
    byte[] sealed = cipher.seal(secret, ad);
    assertThatThrownBy(() -> new MasterKeyCipher(newMasterKey()).open(sealed, ad))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsTruncatedAndUnknownVersions() {
    assertThatThrownBy(() -> cipher.open(new byte[10], ad)).hasMessageContaining("truncated");
    byte[] sealed = cipher.seal(secret, ad);
    sealed[0] = 9;
    assertThatThrownBy(() -> cipher.open(sealed, ad)).hasMessageContaining("version");
  }

  @Test
  void badMasterKeysFailWithClearMessagesThatNeverEchoTheKey() {
    assertThatThrownBy(() -> new MasterKeyCipher(null)).hasMessageContaining("missing");
    assertThatThrownBy(() -> new MasterKeyCipher("  ")).hasMessageContaining("missing");
    String notBase64 = "s3cr3t!!not*base64";
    assertThatThrownBy(() -> new MasterKeyCipher(notBase64))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not valid base64")
        .message()
        .doesNotContain(notBase64)
        .doesNotContain("*")
        .doesNotContain("!");
    String short16 = Base64.getEncoder().encodeToString(new byte[16]);
    assertThatThrownBy(() -> new MasterKeyCipher(short16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("16 bytes")
        .message()
        .doesNotContain(short16);
  }
}

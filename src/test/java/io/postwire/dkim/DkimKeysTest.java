package io.postwire.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Key generation and the encodings of RFC 6376 §3.6.1 and RFC 8463 §4. */
class DkimKeysTest {

  @Test
  void rsaKeysAre2048BitsAndPublishTheSubjectPublicKeyInfoRfc6376Section3_6_1() {
    KeyPair kp = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    assertThat(((RSAPublicKey) kp.getPublic()).getModulus().bitLength()).isEqualTo(2048);
    String p = DkimKeys.publicKeyBase64(DkimAlgorithm.RSA_SHA256, kp.getPublic());
    assertThat(Base64.getDecoder().decode(p)).isEqualTo(kp.getPublic().getEncoded());
    assertThat(DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, kp.getPublic()))
        .isEqualTo("v=DKIM1; k=rsa; p=" + p);
  }

  @Test
  void ed25519PublishesTheRaw32ByteKeyRfc8463Section4() {
    KeyPair kp = DkimKeys.generate(DkimAlgorithm.ED25519_SHA256);
    String p = DkimKeys.publicKeyBase64(DkimAlgorithm.ED25519_SHA256, kp.getPublic());
    assertThat(Base64.getDecoder().decode(p)).hasSize(32);
    assertThat(DkimKeys.dnsRecordValue(DkimAlgorithm.ED25519_SHA256, kp.getPublic()))
        .isEqualTo("v=DKIM1; k=ed25519; p=" + p);
  }

  @ParameterizedTest
  @EnumSource(DkimAlgorithm.class)
  void privateAndPublicKeysRoundTripAndStillMatch(DkimAlgorithm alg) throws Exception {
    KeyPair kp = DkimKeys.generate(alg);
    var priv = DkimKeys.decodePrivate(alg, DkimKeys.encodePrivate(kp.getPrivate()));
    PublicKey pub = DkimKeys.decodePublic(alg, DkimKeys.publicKeyBase64(alg, kp.getPublic()));
    assertThat(pub.getEncoded()).isEqualTo(kp.getPublic().getEncoded());
    String jca = alg == DkimAlgorithm.RSA_SHA256 ? "SHA256withRSA" : "Ed25519";
    Signature s = Signature.getInstance(jca);
    s.initSign(priv);
    byte[] data = "round trip".getBytes(StandardCharsets.US_ASCII);
    s.update(data);
    byte[] sig = s.sign();
    Signature v = Signature.getInstance(jca);
    v.initVerify(pub);
    v.update(data);
    assertThat(v.verify(sig)).isTrue();
  }

  @Test
  void rejectsKeysOfTheWrongAlgorithmAndGarbage() {
    KeyPair rsa = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    assertThatThrownBy(
            () ->
                DkimKeys.decodePrivate(
                    DkimAlgorithm.ED25519_SHA256, DkimKeys.encodePrivate(rsa.getPrivate())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DkimKeys.decodePrivate(DkimAlgorithm.RSA_SHA256, new byte[] {1, 2}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                DkimKeys.decodePublic(
                    DkimAlgorithm.ED25519_SHA256, Base64.getEncoder().encodeToString(new byte[31])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("public key");
    assertThatThrownBy(
            () -> DkimKeys.publicKeyBase64(DkimAlgorithm.ED25519_SHA256, rsa.getPublic()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

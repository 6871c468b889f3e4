package io.postwire.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.dkim.DkimSigner.Tag;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.jcajce.interfaces.EdDSAPrivateKey;
import org.junit.jupiter.api.Test;

/**
 * RFC 8463 Appendix A: with the example's Ed25519 key, message and tags, the signer reproduces the
 * published {@code bh=} and {@code b=} exactly (Ed25519 is deterministic, RFC 8032 §5.1.6).
 */
class DkimSignerRfc8463Test {

  /** Appendix A.1: the private key (the RFC 8032 §7.1 TEST 1 seed). */
  static final String SEED = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

  /** Appendix A.2: the brisbane._domainkey.football.example.com key record's p=. */
  static final String PUBLIC = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

  /** Appendix A.3: the message as it was signed. */
  static final byte[] MESSAGE =
      TestMessages.crlf(
          "From: Joe SixPack <joe@football.example.com>",
          "To: Suzie Q <suzie@shopping.example.net>",
          "Subject: Is dinner ready?",
          "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
          "Message-ID: <20030712040037.46341.5F8J@football.example.com>",
          "",
          "Hi.",
          "",
          "We lost the game.  Are you hungry yet?",
          "",
          "Joe.");

  static final String BH = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";
  static final String B =
      "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";

  static PrivateKey rfcKey() throws Exception {
    // PKCS#8 v1 wrapping of a raw Ed25519 seed (RFC 8410 §7).
    byte[] prefix = HexFormat.of().parseHex("302e020100300506032b657004220420");
    byte[] seed = Base64.getDecoder().decode(SEED);
    byte[] der = new byte[prefix.length + seed.length];
    System.arraycopy(prefix, 0, der, 0, prefix.length);
    System.arraycopy(seed, 0, der, prefix.length, seed.length);
    return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
  }

  @Test
  void reproducesTheEd25519SignatureOfRfc8463AppendixA3() throws Exception {
    DkimSigner signer =
        new DkimSigner(DkimAlgorithm.ED25519_SHA256, "football.example.com", "brisbane", rfcKey());
    String field =
        signer.signWithTags(
            MESSAGE,
            List.of(
                new Tag("v", "1"),
                new Tag("a", "ed25519-sha256"),
                new Tag("c", "relaxed/relaxed"),
                new Tag("d", "football.example.com"),
                new Tag("i", "@football.example.com"),
                new Tag("q", "dns/txt"),
                new Tag("s", "brisbane"),
                new Tag("t", "1528637909"),
                new Tag("h", "from : to : subject : date : message-id : from : subject : date"),
                new Tag("bh", null)));
    String unfolded = field.replace("\r\n ", " ");
    assertThat(unfolded).contains(" bh=" + BH + ";");
    assertThat(unfolded.replace(" ", "")).endsWith("b=" + B + "\r\n");
    assertThat(field).startsWith("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;");
  }

  @Test
  void theRfcKeyPairEncodesAsTheAppendixA2KeyRecord() throws Exception {
    PrivateKey key = rfcKey();
    PrivateKey decoded =
        DkimKeys.decodePrivate(DkimAlgorithm.ED25519_SHA256, DkimKeys.encodePrivate(key));
    var bcKey = (EdDSAPrivateKey) decoded;
    assertThat(DkimKeys.dnsRecordValue(DkimAlgorithm.ED25519_SHA256, bcKey.getPublicKey()))
        .isEqualTo("v=DKIM1; k=ed25519; p=" + PUBLIC);
  }

  @Test
  void productionPathOnTheRfcMessageGivesTheSameBodyHash() throws Exception {
    DkimSigner signer =
        new DkimSigner(DkimAlgorithm.ED25519_SHA256, "football.example.com", "brisbane", rfcKey());
    String field = signer.sign(MESSAGE, Instant.ofEpochSecond(1528637909));
    assertThat(field.replace("\r\n ", " ")).contains(" bh=" + BH + ";");
  }
}

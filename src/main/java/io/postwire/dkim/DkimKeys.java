package io.postwire.dkim;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * Key generation and encodings for DKIM keys. Blocking (key generation takes up to a second for
 * RSA): callers run these on worker threads, never on the event loop.
 */
public final class DkimKeys {

  /** RSA modulus size for new keys (RFC 8301 §3.2: signers SHOULD use at least 2048 bits). */
  public static final int RSA_KEY_BITS = 2048;

  /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4); the raw 32-byte key follows. */
  private static final byte[] ED25519_SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  private static final int ED25519_KEY_BYTES = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  private DkimKeys() {}

  /** A fresh key pair: RSA 2048 or Ed25519. */
  public static KeyPair generate(DkimAlgorithm algorithm) {
    try {
      KeyPairGenerator generator;
      switch (algorithm) {
        case RSA_SHA256:
          generator = KeyPairGenerator.getInstance("RSA");
          generator.initialize(RSA_KEY_BITS, RANDOM);
          break;
        case ED25519_SHA256:
          generator = KeyPairGenerator.getInstance("Ed25519", CryptoProviders.ed25519());
          generator.initialize(255, RANDOM);
          break;
        default:
          throw new IllegalArgumentException("unsupported algorithm " + algorithm);
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + algorithm.wireName() + " key", e);
    }
  }

  /**
   * The {@code p=} value of the key record: for RSA the base64 of the SubjectPublicKeyInfo DER (RFC
   * 6376 §3.6.1), for Ed25519 the base64 of the raw 32-byte public key (RFC 8463 §4).
   */
  public static String publicKeyBase64(DkimAlgorithm algorithm, PublicKey key) {
    checkKeyMatches(algorithm, key.getAlgorithm());
    byte[] spki = key.getEncoded();
    if (spki == null || !"X.509".equals(key.getFormat())) {
      throw new IllegalArgumentException("public key has no SubjectPublicKeyInfo encoding");
    }
    if (algorithm == DkimAlgorithm.RSA_SHA256) {
      return Base64.getEncoder().encodeToString(spki);
    }
    if (spki.length != ED25519_SPKI_PREFIX.length + ED25519_KEY_BYTES
        || !Arrays.equals(
            spki,
            0,
            ED25519_SPKI_PREFIX.length,
            ED25519_SPKI_PREFIX,
            0,
            ED25519_SPKI_PREFIX.length)) {
      throw new IllegalArgumentException("not an Ed25519 SubjectPublicKeyInfo");
    }
    return Base64.getEncoder()
        .encodeToString(Arrays.copyOfRange(spki, ED25519_SPKI_PREFIX.length, spki.length));
  }

  /**
   * The whole TXT record value to publish at {@code <selector>._domainkey.<domain>}, e.g. {@code
   * v=DKIM1; k=rsa; p=MIIB...} (RFC 6376 §3.6.1), unsplit: DNS tooling splits it into 255-octet
   * strings.
   */
  public static String dnsRecordValue(DkimAlgorithm algorithm, PublicKey key) {
    return "v=DKIM1; k=" + algorithm.keyType() + "; p=" + publicKeyBase64(algorithm, key);
  }

  /** The PKCS#8 DER encoding of a private key, for storage (sealed by {@link MasterKeyCipher}). */
  public static byte[] encodePrivate(PrivateKey key) {
    byte[] der = key.getEncoded();
    if (der == null || !"PKCS#8".equals(key.getFormat())) {
      throw new IllegalArgumentException("private key has no PKCS#8 encoding");
    }
    return der;
  }

  /** A private key from its PKCS#8 DER encoding. */
  public static PrivateKey decodePrivate(DkimAlgorithm algorithm, byte[] pkcs8) {
    try {
      PrivateKey key = keyFactory(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      checkKeyMatches(algorithm, key.getAlgorithm());
      return key;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("not a PKCS#8 " + algorithm.keyType() + " private key", e);
    }
  }

  /** A public key from a key record's {@code p=} value (see {@link #publicKeyBase64}). */
  public static PublicKey decodePublic(DkimAlgorithm algorithm, String base64) {
    try {
      byte[] der = Base64.getMimeDecoder().decode(base64.strip());
      if (algorithm == DkimAlgorithm.ED25519_SHA256) {
        if (der.length != ED25519_KEY_BYTES) {
          throw new IllegalArgumentException(
              "an Ed25519 key record holds 32 bytes, not " + der.length);
        }
        byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + der.length);
        System.arraycopy(der, 0, spki, ED25519_SPKI_PREFIX.length, der.length);
        der = spki;
      }
      PublicKey key = keyFactory(algorithm).generatePublic(new X509EncodedKeySpec(der));
      checkKeyMatches(algorithm, key.getAlgorithm());
      return key;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("not a " + algorithm.keyType() + " public key", e);
    }
  }

  static KeyFactory keyFactory(DkimAlgorithm algorithm) throws GeneralSecurityException {
    return algorithm == DkimAlgorithm.RSA_SHA256
        ? KeyFactory.getInstance("RSA")
        : KeyFactory.getInstance("Ed25519", CryptoProviders.ed25519());
  }

  static void checkKeyMatches(DkimAlgorithm algorithm, String keyAlgorithm) {
    boolean matches =
        algorithm == DkimAlgorithm.RSA_SHA256
            ? "RSA".equals(keyAlgorithm)
            : "Ed25519".equals(keyAlgorithm) || "EdDSA".equals(keyAlgorithm);
    if (!matches) {
      throw new IllegalArgumentException(
          "a " + keyAlgorithm + " key cannot sign " + algorithm.wireName());
    }
  }
}

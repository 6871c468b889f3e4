package io.postwire.dkim;

import io.postwire.platform.MasterKeys;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Locale;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts DKIM private keys at rest with a 256-bit master key: AES-256-GCM, a random 96-bit nonce
 * per call (NIST SP 800-38D §8.2.2), the output laid out as {@code version || nonce ||
 * ciphertext+tag}. The associated data binds a sealed key to its domain and selector, so a row
 * copied onto another domain does not open. Thread-safe.
 */
public final class MasterKeyCipher {

  /** The layout version written as the first byte; bump it when the layout changes. */
  static final byte VERSION = 1;

  static final int KEY_BYTES = MasterKeys.KEY_BYTES;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;
  private static final int OVERHEAD = 1 + NONCE_BYTES + TAG_BITS / 8;
  private static final String TRANSFORMATION = "AES/GCM/NoPadding";

  private final SecretKey key;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param masterKeyBase64 the base64 text of exactly 32 random bytes
   * @throws IllegalArgumentException when it is missing, not base64 or not 32 bytes long; the
   *     message never contains the key
   */
  public MasterKeyCipher(String masterKeyBase64) {
    byte[] raw = MasterKeys.decode(masterKeyBase64);
    this.key = new SecretKeySpec(raw, "AES");
    Arrays.fill(raw, (byte) 0);
  }

  /** The associated data that binds a sealed DKIM key to its domain and selector. */
  public static byte[] associatedData(String domain, String selector) {
    return ("postwire-dkim-key\0"
            + domain.toLowerCase(Locale.ROOT)
            + "\0"
            + selector.toLowerCase(Locale.ROOT))
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Encrypts and authenticates {@code plaintext}, binding it to {@code associatedData}. */
  public byte[] seal(byte[] plaintext, byte[] associatedData) {
    byte[] out = new byte[OVERHEAD + plaintext.length];
    out[0] = VERSION;
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    System.arraycopy(nonce, 0, out, 1, NONCE_BYTES);
    try {
      Cipher cipher = Cipher.getInstance(TRANSFORMATION);
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(associatedData);
      cipher.doFinal(plaintext, 0, plaintext.length, out, 1 + NONCE_BYTES);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable", e);
    }
  }

  /**
   * Decrypts what {@link #seal} produced.
   *
   * @throws IllegalArgumentException when the data is malformed, was tampered with, or was sealed
   *     under another master key or other associated data
   */
  public byte[] open(byte[] sealed, byte[] associatedData) {
    if (sealed.length < OVERHEAD) {
      throw new IllegalArgumentException("sealed DKIM key is truncated");
    }
    if (sealed[0] != VERSION) {
      throw new IllegalArgumentException("sealed DKIM key has unknown version " + sealed[0]);
    }
    try {
      Cipher cipher = Cipher.getInstance(TRANSFORMATION);
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 1, NONCE_BYTES));
      cipher.updateAAD(associatedData);
      return cipher.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new IllegalArgumentException(
          "sealed DKIM key does not authenticate: wrong master key, wrong domain/selector, or"
              + " tampered data");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable", e);
    }
  }
}

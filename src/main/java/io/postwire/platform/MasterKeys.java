package io.postwire.platform;

import java.util.Arrays;
import java.util.Base64;

/**
 * Reads the DKIM master key setting ({@code postwire.dkim.master-key}): the base64 of exactly 32
 * random bytes. Used by the start-up check and by the cipher that uses the key, so both refuse the
 * same settings with the same words.
 */
public final class MasterKeys {

  /** The length of a master key in bytes (AES-256). */
  public static final int KEY_BYTES = 32;

  private MasterKeys() {}

  /**
   * The raw key bytes (the caller wipes them when done).
   *
   * @throws IllegalArgumentException when the key is missing, not base64 or not 32 bytes long; the
   *     message never contains the key
   */
  public static byte[] decode(String masterKeyBase64) {
    if (masterKeyBase64 == null || masterKeyBase64.isBlank()) {
      throw new IllegalArgumentException(
          "the DKIM master key is missing: set it to the base64 of 32 random bytes");
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(masterKeyBase64.strip());
    } catch (IllegalArgumentException e) {
      // The decoder's message quotes the offending character: do not pass it on.
      throw new IllegalArgumentException(
          "the DKIM master key is not valid base64: it must be the base64 of 32 random bytes");
    }
    if (raw.length != KEY_BYTES) {
      int length = raw.length;
      Arrays.fill(raw, (byte) 0);
      throw new IllegalArgumentException(
          "the DKIM master key decodes to "
              + length
              + " bytes; AES-256 needs exactly "
              + KEY_BYTES);
    }
    return raw;
  }
}

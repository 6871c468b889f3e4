package io.postwire.security;

import io.postwire.dkim.DkimConfig;
import io.postwire.platform.MasterKeys;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short authenticated tokens for addresses and links that leave the service: VERP return paths,
 * unsubscribe links and addresses, tracking links. A token is {@code base64url(payload || mac)}
 * where the MAC is HMAC-SHA256 truncated to 12 bytes, keyed per purpose with a key derived from the
 * DKIM master key, so a token minted for one purpose never passes for another and nobody without
 * the master key can mint or alter one.
 *
 * <p>Tokens outlive key rotations (a bounce can arrive days after the send, an unsubscribe link is
 * followed months later): verification also accepts tokens made under {@code
 * postwire.dkim.previous-master-keys}. The alphabet (base64url without padding) is safe in a URL
 * path and in the local part of an address; receivers may fold case of local parts, so callers that
 * put a token in an address use {@link #signLowerCase}/{@link #verifyLowerCase}.
 */
@ApplicationScoped
public class SignedTokens {

  /**
   * Bytes of the truncated MAC: 96 bits, as HMAC-SHA-256-96 (RFC 4868 §2.6 keeps at least that).
   */
  static final int MAC_BYTES = 12;

  private final DkimConfig dkim;
  private volatile List<byte[]> masterKeys;

  public SignedTokens(DkimConfig dkim) {
    this.dkim = dkim;
  }

  /** A token carrying {@code payload} for {@code purpose} (e.g. {@code "verp"}). */
  public String sign(String purpose, byte[] payload) {
    byte[] mac = mac(keys().get(0), purpose, payload);
    byte[] token = Arrays.copyOf(payload, payload.length + MAC_BYTES);
    System.arraycopy(mac, 0, token, payload.length, MAC_BYTES);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
  }

  /**
   * The payload of a token made by {@link #sign} for {@code purpose}; empty when forged or garbled.
   */
  public Optional<byte[]> verify(String purpose, String token) {
    return verify(purpose, token, 512);
  }

  /**
   * As {@link #verify(String, String)}, for purposes whose tokens carry more (a tracked link's
   * URL): tokens longer than {@code maxLength} characters are refused before decoding.
   */
  public Optional<byte[]> verify(String purpose, String token, int maxLength) {
    if (token == null || token.isEmpty() || token.length() > maxLength) {
      return Optional.empty();
    }
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (raw.length < MAC_BYTES) {
      return Optional.empty();
    }
    byte[] payload = Arrays.copyOf(raw, raw.length - MAC_BYTES);
    byte[] given = Arrays.copyOfRange(raw, raw.length - MAC_BYTES, raw.length);
    for (byte[] key : keys()) {
      byte[] expected = Arrays.copyOf(mac(key, purpose, payload), MAC_BYTES);
      if (MessageDigest.isEqual(expected, given)) {
        return Optional.of(payload);
      }
    }
    return Optional.empty();
  }

  /**
   * A token safe where case may be folded (an address's local part): lower-case base32 (RFC 4648 §6
   * alphabet, no padding) of the same payload and MAC.
   */
  public String signLowerCase(String purpose, byte[] payload) {
    byte[] mac = mac(keys().get(0), purpose, payload);
    byte[] token = Arrays.copyOf(payload, payload.length + MAC_BYTES);
    System.arraycopy(mac, 0, token, payload.length, MAC_BYTES);
    return Base32.encode(token);
  }

  /** The payload of a token made by {@link #signLowerCase}, in any case; empty when forged. */
  public Optional<byte[]> verifyLowerCase(String purpose, String token) {
    if (token == null || token.isEmpty() || token.length() > 512) {
      return Optional.empty();
    }
    byte[] raw = Base32.decode(token);
    if (raw == null || raw.length < MAC_BYTES) {
      return Optional.empty();
    }
    byte[] payload = Arrays.copyOf(raw, raw.length - MAC_BYTES);
    byte[] given = Arrays.copyOfRange(raw, raw.length - MAC_BYTES, raw.length);
    for (byte[] key : keys()) {
      byte[] expected = Arrays.copyOf(mac(key, purpose, payload), MAC_BYTES);
      if (MessageDigest.isEqual(expected, given)) {
        return Optional.of(payload);
      }
    }
    return Optional.empty();
  }

  private List<byte[]> keys() {
    List<byte[]> current = masterKeys;
    if (current == null) {
      List<byte[]> all = new ArrayList<>();
      all.add(
          derive(
              MasterKeys.decode(
                  dkim.masterKey()
                      .orElseThrow(
                          () ->
                              new IllegalStateException(
                                  "postwire.dkim.master-key is required to sign tokens")))));
      for (String old : dkim.previousMasterKeys().orElse(List.of())) {
        if (!old.isBlank()) {
          all.add(derive(MasterKeys.decode(old)));
        }
      }
      current = List.copyOf(all);
      masterKeys = current;
    }
    return current;
  }

  /** A key for tokens only, so the master key itself never keys a MAC an outsider can observe. */
  private static byte[] derive(byte[] master) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(master, "HmacSHA256"));
      return mac.doFinal("postwire-signed-tokens".getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    } finally {
      Arrays.fill(master, (byte) 0);
    }
  }

  private static byte[] mac(byte[] key, String purpose, byte[] payload) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update(purpose.getBytes(StandardCharsets.US_ASCII));
      mac.update((byte) 0);
      return mac.doFinal(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  /** Lower-case RFC 4648 base32 without padding. */
  static final class Base32 {
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

    private Base32() {}

    static String encode(byte[] data) {
      StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
      int buffer = 0;
      int bits = 0;
      for (byte b : data) {
        buffer = (buffer << 8) | (b & 0xff);
        bits += 8;
        while (bits >= 5) {
          out.append(ALPHABET.charAt((buffer >> (bits - 5)) & 31));
          bits -= 5;
        }
      }
      if (bits > 0) {
        out.append(ALPHABET.charAt((buffer << (5 - bits)) & 31));
      }
      return out.toString();
    }

    /** The bytes, or null when {@code text} is not lower- or upper-case base32 of whole bytes. */
    static byte[] decode(String text) {
      byte[] out = new byte[text.length() * 5 / 8];
      int buffer = 0;
      int bits = 0;
      int n = 0;
      for (int i = 0; i < text.length(); i++) {
        int value = ALPHABET.indexOf(Character.toLowerCase(text.charAt(i)));
        if (value < 0) {
          return null;
        }
        buffer = (buffer << 5) | value;
        bits += 5;
        if (bits >= 8) {
          out[n++] = (byte) (buffer >> (bits - 8));
          bits -= 8;
        }
      }
      // Leftover bits must be zero padding of fewer than 5 bits, or the text was not our encoding.
      if (bits >= 5 || (buffer & ((1 << bits) - 1)) != 0) {
        return null;
      }
      return out;
    }
  }
}

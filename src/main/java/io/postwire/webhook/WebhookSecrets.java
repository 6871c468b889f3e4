package io.postwire.webhook;

import io.postwire.dkim.DkimConfig;
import io.postwire.dkim.MasterKeyCipher;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Webhook signing secrets: made ({@code whsec_} + base64 of 32 random bytes), kept sealed at rest
 * under the DKIM master key (AES-256-GCM bound to the webhook's id, so a row copied onto another
 * webhook does not open), and used to sign (Standard Webhooks: {@code v1,} + base64 HMAC-SHA256 of
 * {@code id.timestamp.body}).
 */
@ApplicationScoped
public class WebhookSecrets {

  static final String PREFIX = "whsec_";
  private static final int SECRET_BYTES = 32;

  private final SecureRandom random = new SecureRandom();
  private final DkimConfig dkim;
  private volatile List<MasterKeyCipher> ciphers;

  public WebhookSecrets(DkimConfig dkim) {
    this.dkim = dkim;
  }

  /** New random key bytes. */
  byte[] generate() {
    byte[] key = new byte[SECRET_BYTES];
    random.nextBytes(key);
    return key;
  }

  /** The secret as shown once to the caller. */
  static String text(byte[] key) {
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  byte[] seal(UUID webhook, byte[] key) {
    return ciphers().get(0).seal(key, associatedData(webhook));
  }

  /** Opens a sealed key, under the current master key or a previous one. */
  byte[] open(UUID webhook, byte[] sealed) {
    IllegalArgumentException last = null;
    for (MasterKeyCipher cipher : ciphers()) {
      try {
        return cipher.open(sealed, associatedData(webhook));
      } catch (IllegalArgumentException e) {
        last = e;
      }
    }
    throw last;
  }

  /** The {@code v1,<base64>} signature of one message. */
  static String sign(byte[] key, String id, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
    }
  }

  private static byte[] associatedData(UUID webhook) {
    return ("postwire-webhook-secret\0" + webhook).getBytes(StandardCharsets.UTF_8);
  }

  private List<MasterKeyCipher> ciphers() {
    List<MasterKeyCipher> current = ciphers;
    if (current == null) {
      List<MasterKeyCipher> all = new ArrayList<>();
      all.add(
          new MasterKeyCipher(
              dkim.masterKey()
                  .orElseThrow(
                      () ->
                          new IllegalStateException(
                              "postwire.dkim.master-key is required to keep webhook secrets"))));
      dkim.previousMasterKeys().orElse(List.of()).forEach(k -> all.add(new MasterKeyCipher(k)));
      current = List.copyOf(all);
      ciphers = current;
    }
    return current;
  }
}

package io.postwire.webhook;

import io.postwire.dkim.DkimConfig;
import io.postwire.dkim.DkimKeyService.Rekeyed;
import io.postwire.dkim.MasterKeyCipher;
import io.postwire.dkim.MasterKeySealed;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.logging.Logger;

/**
 * Webhook signing secrets: made ({@code whsec_} + base64 of 32 random bytes), kept sealed at rest
 * under the DKIM master key (AES-256-GCM bound to the webhook's id, so a row copied onto another
 * webhook does not open), and used to sign (Standard Webhooks: {@code v1,} + base64 HMAC-SHA256 of
 * {@code id.timestamp.body}). A master-key rotation's rekey re-seals them with the DKIM keys.
 */
@ApplicationScoped
public class WebhookSecrets implements MasterKeySealed {

  static final String PREFIX = "whsec_";
  private static final int SECRET_BYTES = 32;
  private static final Logger LOG = Logger.getLogger(WebhookSecrets.class);

  private final SecureRandom random = new SecureRandom();
  private final DkimConfig dkim;
  private final Pool pool;
  private volatile List<MasterKeyCipher> ciphers;

  public WebhookSecrets(DkimConfig dkim, Pool pool) {
    this.dkim = dkim;
    this.pool = pool;
  }

  @Override
  public String kind() {
    return "webhookSecrets";
  }

  /**
   * Re-seals every webhook secret (the current one and, while it still signs or not, the previous
   * one) that opens only with a previous master key under the current one. A column is replaced
   * only if it still holds the bytes that were read, so a secret rotated meanwhile is never
   * overwritten; a secret no configured master key opens is counted and left as it is.
   */
  @Override
  public Uni<Rekeyed> rekey() {
    return pool.query("select id, secret, previous_secret from webhook")
        .execute()
        .emitOn(Infrastructure.getDefaultWorkerPool())
        .chain(
            rows -> {
              MasterKeyCipher current = ciphers().get(0);
              int[] counts = new int[2]; // already current, unreadable
              List<Tuple> secrets = new ArrayList<>();
              List<Tuple> previous = new ArrayList<>();
              for (Row r : rows) {
                UUID id = r.getUUID("id");
                reseal(current, id, bytes(r, "secret"), counts, secrets);
                reseal(current, id, bytes(r, "previous_secret"), counts, previous);
              }
              Uni<Integer> done = Uni.createFrom().item(0);
              if (!secrets.isEmpty() || !previous.isEmpty()) {
                done =
                    pool.withTransaction(
                        tx ->
                            update(tx, "secret", secrets)
                                .chain(
                                    a -> update(tx, "previous_secret", previous).map(b -> a + b)));
              }
              return done.map(changed -> new Rekeyed(changed, counts[0], counts[1]));
            })
        .invoke(
            done ->
                LOG.infof(
                    "Webhook secrets rekey: %d re-sealed, %d already under the current key, %d"
                        + " unreadable",
                    done.resealed(), done.current(), done.unreadable()));
  }

  /** Adds (id, re-sealed, as read) to {@code updates} when {@code stored} needs re-sealing. */
  private void reseal(
      MasterKeyCipher current, UUID id, byte[] sealed, int[] counts, List<Tuple> updates) {
    if (sealed == null) {
      return;
    }
    byte[] ad = associatedData(id);
    try {
      Arrays.fill(current.open(sealed, ad), (byte) 0);
      counts[0]++;
      return;
    } catch (IllegalArgumentException notCurrent) {
      // sealed under another key
    }
    byte[] plain;
    try {
      plain = open(id, sealed);
    } catch (IllegalArgumentException e) {
      counts[1]++;
      LOG.errorf("A secret of webhook %s opens with no configured master key", id);
      return;
    }
    byte[] resealed = current.seal(plain, ad);
    Arrays.fill(plain, (byte) 0);
    updates.add(Tuple.of(id, Buffer.buffer(resealed), Buffer.buffer(sealed)));
  }

  private static byte[] bytes(Row r, String column) {
    var buffer = r.getBuffer(column);
    return buffer == null ? null : buffer.getBytes();
  }

  private static Uni<Integer> update(SqlConnection tx, String column, List<Tuple> updates) {
    if (updates.isEmpty()) {
      return Uni.createFrom().item(0);
    }
    return tx.preparedQuery(
            "update webhook set %1$s = $2 where id = $1 and %1$s = $3".formatted(column))
        .executeBatch(updates)
        .map(
            result -> {
              int changed = 0;
              for (var r = result; r != null; r = r.next()) {
                changed += r.rowCount();
              }
              return changed;
            });
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

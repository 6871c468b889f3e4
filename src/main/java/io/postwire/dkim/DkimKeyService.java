package io.postwire.dkim;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.postwire.dns.ZoneFile;
import io.postwire.platform.Refusal;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * DKIM keys of the sending domains: generated on a worker thread, private halves sealed with the
 * master key (AES-256-GCM, bound to domain and selector), and the signing of messages with every
 * active key of the From domain (dual signing when a domain has an RSA and an Ed25519 key).
 */
@ApplicationScoped
public class DkimKeyService implements MessageSigner, MasterKeySealed {

  private static final Logger LOG = Logger.getLogger(DkimKeyService.class);
  private static final DateTimeFormatter SELECTOR_DATE = DateTimeFormatter.ofPattern("yyyyMMdd");
  private static final long SIGNER_CACHE_NANOS = 30_000_000_000L;

  private final Pool pool;
  private final DkimConfig config;
  private final Timer signTimer;
  private volatile MasterKeyCipher cipher;
  private volatile List<MasterKeyCipher> previous = List.of();
  private final Map<String, CachedSigners> signers = new ConcurrentHashMap<>();

  private record CachedSigners(List<DkimSigner> signers, long loadedAt) {}

  /**
   * How long a retired key stays published: mail signed just before the rotation may wait in queues
   * for days before someone verifies it.
   */
  public static final Duration KEEP_PUBLISHED = Duration.ofDays(7);

  /**
   * A key as the API shows it (never the private half).
   *
   * @param retiredAt when it stopped signing; null unless {@code retired}
   * @param keepPublishedUntil until when its record must stay in the DNS (retiredAt + 7 days), so
   *     mail already sent still verifies; null unless {@code retired}
   */
  public record KeyView(
      String selector,
      String algorithm,
      String status,
      String publicKey,
      DnsRecord dnsRecord,
      OffsetDateTime retiredAt,
      OffsetDateTime keepPublishedUntil) {}

  /**
   * The TXT record that publishes a key.
   *
   * @param value the whole text, unsplit
   * @param zoneFileLine the record as a zone file line, the text split into quoted strings of at
   *     most 255 octets
   */
  public record DnsRecord(String type, String name, String value, String zoneFileLine) {

    static DnsRecord txt(String name, String value) {
      return new DnsRecord("TXT", name, value, ZoneFile.txtLine(name, value));
    }
  }

  public DkimKeyService(Pool pool, DkimConfig config, MeterRegistry registry) {
    this.pool = pool;
    this.config = config;
    this.signTimer =
        Timer.builder("postwire.dkim.sign.duration")
            .description("Time to DKIM-sign one message with all of its domain's keys")
            .publishPercentileHistogram()
            .register(registry);
  }

  /** Fails the start when the master key is missing or malformed. */
  void checkMasterKey(@Observes StartupEvent event) {
    cipher();
  }

  private MasterKeyCipher cipher() {
    MasterKeyCipher current = cipher;
    if (current == null) {
      current = usable("postwire.dkim.master-key", required(config.masterKey()));
      List<MasterKeyCipher> old = new ArrayList<>();
      for (String key : config.previousMasterKeys().orElse(List.of())) {
        if (!key.isBlank()) {
          old.add(usable("postwire.dkim.previous-master-keys", key));
        }
      }
      previous = List.copyOf(old);
      cipher = current;
    }
    return current;
  }

  private static String required(Optional<String> key) {
    return key.filter(k -> !k.isBlank())
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "postwire.dkim.master-key (POSTWIRE_DKIM_MASTER_KEY) is required:"
                        + " base64 of 32 random bytes, e.g. `openssl rand -base64 32`"));
  }

  private static MasterKeyCipher usable(String property, String key) {
    try {
      return new MasterKeyCipher(key.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(property + " is not usable: " + e.getMessage(), e);
    }
  }

  /**
   * Opens a sealed private key with the current master key, else with a previous one (during a
   * rotation, before the rekey).
   */
  private byte[] open(byte[] sealed, byte[] associatedData) {
    MasterKeyCipher current = cipher();
    try {
      return current.open(sealed, associatedData);
    } catch (IllegalArgumentException underCurrent) {
      for (MasterKeyCipher old : previous) {
        try {
          return old.open(sealed, associatedData);
        } catch (IllegalArgumentException e) {
          // try the next one
        }
      }
      throw underCurrent;
    }
  }

  /** What a rekey did: keys re-sealed, keys already under the current key, keys none opens. */
  public record Rekeyed(int resealed, int current, int unreadable) {}

  @Override
  public String kind() {
    return "dkimKeys";
  }

  /**
   * Master-key rotation: re-seals every stored DKIM private key (whatever its status) that opens
   * only with a previous master key under the current one. A row is replaced only if it still holds
   * the bytes that were read, so a concurrent rotation of the same key is never overwritten; a key
   * no configured master key opens is counted and left as it is.
   */
  @Override
  public Uni<Rekeyed> rekey() {
    return pool.query("select id, domain, selector, private_key_sealed from dkim_key")
        .execute()
        .emitOn(Infrastructure.getDefaultWorkerPool())
        .chain(
            rows -> {
              MasterKeyCipher current = cipher();
              int alreadyCurrent = 0;
              int unreadable = 0;
              List<Tuple> updates = new ArrayList<>();
              for (Row r : rows) {
                byte[] sealed = r.getBuffer("private_key_sealed").getBytes();
                byte[] ad =
                    MasterKeyCipher.associatedData(r.getString("domain"), r.getString("selector"));
                try {
                  Arrays.fill(current.open(sealed, ad), (byte) 0);
                  alreadyCurrent++;
                  continue;
                } catch (IllegalArgumentException notCurrent) {
                  // sealed under another key
                }
                byte[] plain;
                try {
                  plain = open(sealed, ad);
                } catch (IllegalArgumentException e) {
                  unreadable++;
                  LOG.errorf(
                      "DKIM key %s of %s opens with no configured master key",
                      r.getString("selector"), r.getString("domain"));
                  continue;
                }
                byte[] resealed = current.seal(plain, ad);
                Arrays.fill(plain, (byte) 0);
                updates.add(
                    Tuple.of(r.getUUID("id"), Buffer.buffer(resealed), Buffer.buffer(sealed)));
              }
              int kept = alreadyCurrent;
              int lost = unreadable;
              if (updates.isEmpty()) {
                return Uni.createFrom().item(new Rekeyed(0, kept, lost));
              }
              return pool.withTransaction(
                      tx ->
                          tx.preparedQuery(
                                  """
                                  update dkim_key set private_key_sealed = $2
                                  where id = $1 and private_key_sealed = $3""")
                              .executeBatch(updates))
                  .map(
                      result -> {
                        int changed = 0;
                        for (var r = result; r != null; r = r.next()) {
                          changed += r.rowCount();
                        }
                        return changed;
                      })
                  .invoke(signers::clear)
                  .map(changed -> new Rekeyed(changed, kept, lost));
            })
        .invoke(
            done ->
                LOG.infof(
                    "DKIM master-key rekey: %d re-sealed, %d already under the current key, %d"
                        + " unreadable",
                    done.resealed(), done.current(), done.unreadable()));
  }

  /** Parses the API's algorithm names; an empty list means RSA-2048 alone. */
  public static List<DkimAlgorithm> algorithms(List<String> names, String field) {
    if (names == null || names.isEmpty()) {
      return List.of(DkimAlgorithm.RSA_SHA256);
    }
    List<DkimAlgorithm> result = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      try {
        DkimAlgorithm algorithm = DkimAlgorithm.fromWireName(names.get(i));
        if (!result.contains(algorithm)) {
          result.add(algorithm);
        }
      } catch (IllegalArgumentException | NullPointerException e) {
        throw Refusal.field(
            "validation_failed", field + "[" + i + "]", "rsa-sha256 or ed25519-sha256");
      }
    }
    return result;
  }

  /** A generated key, sealed, ready to insert. */
  public record NewKey(
      UUID id, String selector, DkimAlgorithm algorithm, String publicKey, byte[] sealed) {}

  /** Generates keys on a worker thread (RSA generation takes tens of milliseconds). */
  public Uni<List<NewKey>> generate(String domain, List<DkimAlgorithm> algorithms) {
    return Uni.createFrom()
        .item(
            () -> {
              List<NewKey> keys = new ArrayList<>();
              String date = LocalDate.now(ZoneOffset.UTC).format(SELECTOR_DATE);
              for (DkimAlgorithm algorithm : algorithms) {
                KeyPair pair = DkimKeys.generate(algorithm);
                String suffix = UUID.randomUUID().toString().substring(0, 6);
                String selector =
                    (algorithm == DkimAlgorithm.RSA_SHA256 ? "pw" : "pwed") + date + suffix;
                byte[] pkcs8 = DkimKeys.encodePrivate(pair.getPrivate());
                byte[] sealed =
                    cipher().seal(pkcs8, MasterKeyCipher.associatedData(domain, selector));
                Arrays.fill(pkcs8, (byte) 0);
                keys.add(
                    new NewKey(
                        UUID.randomUUID(),
                        selector,
                        algorithm,
                        DkimKeys.publicKeyBase64(algorithm, pair.getPublic()),
                        sealed));
              }
              return keys;
            })
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  /** Inserts generated keys with the given status. */
  public Uni<Void> insert(SqlClient tx, String domain, List<NewKey> keys, String status) {
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (NewKey key : keys) {
      chain =
          chain.chain(
              () ->
                  tx.preparedQuery(
                          """
                          insert into dkim_key (id, domain, selector, algorithm, status,
                          public_key, private_key_sealed, activated_at)
                          values ($1, $2, $3, $4, $5, $6, $7,
                          case when $5 = 'active' then now() end)""")
                      .execute(
                          Tuple.tuple()
                              .addUUID(key.id())
                              .addString(domain)
                              .addString(key.selector())
                              .addString(key.algorithm().wireName())
                              .addString(status)
                              .addString(key.publicKey())
                              .addValue(Buffer.buffer(key.sealed())))
                      .replaceWithVoid());
    }
    return chain.invoke(() -> signers.remove(domain));
  }

  /**
   * Rotation: adds a pending key (or an active one with {@code activate}); activating retires the
   * active key of the same algorithm.
   */
  public Uni<KeyView> rotate(String domain, DkimAlgorithm algorithm, boolean activate) {
    String status = activate ? "active" : "pending";
    return generate(domain, List.of(algorithm))
        .chain(
            keys ->
                pool.withTransaction(
                        tx ->
                            (activate
                                    ? retireActive(tx, domain, algorithm)
                                    : Uni.createFrom().voidItem())
                                .chain(() -> insert(tx, domain, keys, status)))
                    .map(
                        v -> {
                          NewKey key = keys.get(0);
                          return new KeyView(
                              key.selector(),
                              algorithm.wireName(),
                              status,
                              key.publicKey(),
                              DnsRecord.txt(
                                  key.selector() + "._domainkey." + domain,
                                  "v=DKIM1; k=" + algorithm.keyType() + "; p=" + key.publicKey()),
                              null,
                              null);
                        }));
  }

  /** Marks the active key(s) of an algorithm retired (a rotation's new key takes over). */
  public static Uni<Void> retireActive(SqlClient tx, String domain, DkimAlgorithm algorithm) {
    return tx.preparedQuery(
            """
            update dkim_key set status = 'retired', retired_at = now()
            where domain = $1 and algorithm = $2 and status = 'active'""")
        .execute(Tuple.of(domain, algorithm.wireName()))
        .replaceWithVoid();
  }

  /** The keys of a domain, newest first, as the API shows them. */
  public Uni<Map<String, List<KeyView>>> views(List<String> domains) {
    return pool.preparedQuery(
            """
            select domain, selector, algorithm, status, public_key, retired_at from dkim_key
            where domain = any($1) order by created_at desc, selector""")
        .execute(Tuple.of(domains.toArray(String[]::new)))
        .map(
            rows -> {
              Map<String, List<KeyView>> byDomain = new HashMap<>();
              for (Row r : rows) {
                byDomain
                    .computeIfAbsent(r.getString("domain"), d -> new ArrayList<>())
                    .add(view(r.getString("domain"), r));
              }
              return byDomain;
            });
  }

  static KeyView view(String domain, Row r) {
    DkimAlgorithm algorithm = DkimAlgorithm.fromWireName(r.getString("algorithm"));
    String selector = r.getString("selector");
    String status = r.getString("status");
    OffsetDateTime retiredAt = status.equals("retired") ? r.getOffsetDateTime("retired_at") : null;
    return new KeyView(
        selector,
        algorithm.wireName(),
        status,
        r.getString("public_key"),
        DnsRecord.txt(
            selector + "._domainkey." + domain,
            "v=DKIM1; k=" + algorithm.keyType() + "; p=" + r.getString("public_key")),
        retiredAt,
        retiredAt == null ? null : retiredAt.plus(KEEP_PUBLISHED));
  }

  @Override
  public Uni<String> sign(String domain, byte[] message) {
    return activeSigners(domain)
        .chain(
            list -> {
              if (list.isEmpty()) {
                return Uni.createFrom().item("");
              }
              // RSA signing takes about a millisecond: never on the event loop
              return Uni.createFrom()
                  .item(
                      () -> {
                        long start = System.nanoTime();
                        Instant now = Instant.now();
                        StringBuilder headers = new StringBuilder();
                        for (DkimSigner signer : list) {
                          headers.append(signer.sign(message, now));
                        }
                        signTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                        return headers.toString();
                      })
                  .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
            });
  }

  private Uni<List<DkimSigner>> activeSigners(String domain) {
    CachedSigners cached = signers.get(domain);
    if (cached != null && System.nanoTime() - cached.loadedAt() < SIGNER_CACHE_NANOS) {
      return Uni.createFrom().item(cached.signers());
    }
    return pool.preparedQuery(
            """
            select selector, algorithm, private_key_sealed from dkim_key
            where domain = $1 and status = 'active' order by algorithm desc""")
        .execute(Tuple.of(domain))
        .emitOn(Infrastructure.getDefaultWorkerPool())
        .map(
            rows -> {
              List<DkimSigner> list = new ArrayList<>();
              for (Row r : rows) {
                DkimAlgorithm algorithm = DkimAlgorithm.fromWireName(r.getString("algorithm"));
                String selector = r.getString("selector");
                byte[] pkcs8 =
                    open(
                        r.getBuffer("private_key_sealed").getBytes(),
                        MasterKeyCipher.associatedData(domain, selector));
                PrivateKey key = DkimKeys.decodePrivate(algorithm, pkcs8);
                Arrays.fill(pkcs8, (byte) 0);
                list.add(new DkimSigner(algorithm, domain, selector, key));
              }
              signers.put(domain, new CachedSigners(List.copyOf(list), System.nanoTime()));
              LOG.debugf("Loaded %d DKIM signer(s) for %s", list.size(), domain);
              return list;
            });
  }
}

package io.postwire.audit;

import io.postwire.dns.DkimKeyRecord;
import io.postwire.dns.Dns;
import io.postwire.dns.RecordSyntaxException;
import io.smallrye.mutiny.Uni;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The DKIM check (RFC 6376 §3.6.1): each active and pending key published exactly as we hold it. A
 * pending key found published becomes active and retires the active key of its algorithm.
 */
final class DkimCheck {

  private static final Logger LOG = Logger.getLogger(DkimCheck.class);

  private final Dns dns;
  private final AuditStore store;

  DkimCheck(Dns dns, AuditStore store) {
    this.dns = dns;
    this.store = store;
  }

  Uni<CheckResult> run(String domain) {
    CheckResult.Builder check = new CheckResult.Builder("dkim");
    return store
        .keys(domain)
        .chain(
            keys -> {
              if (keys.isEmpty()) {
                check.warning("dkim_no_key", "no DKIM key: " + domain + "'s mail goes unsigned");
                return Uni.createFrom().item(check.build());
              }
              List<Map<String, Object>> details = new ArrayList<>();
              List<String> records = new ArrayList<>();
              Uni<Void> steps = Uni.createFrom().voidItem();
              for (AuditStore.Key key : keys) {
                steps = steps.chain(() -> key(domain, key, check, details, records));
              }
              return steps.map(
                  v -> {
                    check.detail("keys", details);
                    if (!records.isEmpty()) {
                      check.record(String.join("\n", records));
                    }
                    return check.build();
                  });
            });
  }

  private Uni<Void> key(
      String domain,
      AuditStore.Key key,
      CheckResult.Builder check,
      List<Map<String, Object>> details,
      List<String> records) {
    String name = key.selector() + "._domainkey." + domain;
    boolean pending = key.status().equals("pending");
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("selector", key.selector());
    detail.put("algorithm", key.algorithm());
    detail.put("status", key.status());
    details.add(detail);
    return dns.txt(name)
        .chain(
            texts -> {
              detail.put("published", !texts.isEmpty());
              if (texts.isEmpty()) {
                if (pending) {
                  check.warning(
                      "dkim_pending_not_published",
                      "pending key " + name + " is not published yet; it signs once it is");
                } else {
                  check.error("dkim_key_missing", "no TXT record at " + name);
                }
                return Uni.createFrom().voidItem();
              }
              records.addAll(texts);
              if (texts.size() > 1) {
                problem(
                    check,
                    pending,
                    "dkim_multiple_records",
                    name + " has " + texts.size() + " TXT records; verifiers need exactly one");
                return Uni.createFrom().voidItem();
              }
              boolean good = verify(name, key, texts.get(0), pending, check);
              if (good && pending) {
                return store
                    .activate(domain, key)
                    .invoke(
                        activated -> {
                          if (activated) {
                            LOG.infof(
                                "DKIM key %s of %s is published: active; the previous %s key is"
                                    + " retired",
                                key.selector(), domain, key.algorithm());
                            detail.put("status", "active");
                            check.info(
                                "dkim_key_activated",
                                "pending key " + key.selector() + " is published: now active");
                          }
                        })
                    .replaceWithVoid();
              }
              return Uni.createFrom().voidItem();
            });
  }

  /** Whether the record carries exactly our key; problems go to the check. */
  private static boolean verify(
      String name, AuditStore.Key key, String text, boolean pending, CheckResult.Builder check) {
    boolean good = true;
    if (!text.strip().startsWith("v=DKIM1")) {
      check.warning("dkim_version_missing", name + " does not start with v=DKIM1");
    }
    DkimKeyRecord record;
    try {
      record = DkimKeyRecord.parse(text);
    } catch (RecordSyntaxException e) {
      problem(check, pending, "dkim_syntax_error", name + ": " + e.getMessage());
      return false;
    }
    String expectedType = key.algorithm().equals("ed25519-sha256") ? "ed25519" : "rsa";
    if (!record.keyType().equalsIgnoreCase(expectedType)) {
      problem(
          check,
          pending,
          "dkim_key_type_mismatch",
          name + " has k=" + record.keyType() + ", the key is " + expectedType);
      good = false;
    }
    if (record.revoked()) {
      problem(check, pending, "dkim_key_revoked", name + " has an empty p=: the key is revoked");
      return false;
    }
    byte[] ours = Base64.getDecoder().decode(key.publicKey());
    if (!Arrays.equals(ours, record.publicKey())) {
      problem(
          check,
          pending,
          "dkim_key_mismatch",
          name + " publishes a p= that is not our public key for selector " + key.selector());
      good = false;
    }
    if (expectedType.equals("rsa")) {
      int bits = rsaBits(record.publicKey());
      if (bits > 0 && bits < 1024) {
        check.error(
            "dkim_key_too_short",
            name + " is a " + bits + "-bit RSA key; RFC 8301 §3.2 rejects keys under 1024 bits");
        good = false;
      } else if (bits == 1024) {
        check.warning("dkim_key_weak", name + " is a 1024-bit RSA key; 2048 bits are recommended");
      }
    }
    if (record.testing()) {
      check.warning(
          "dkim_testing", name + " has t=y: verifiers may treat its signatures as unsigned");
    }
    return good;
  }

  private static void problem(
      CheckResult.Builder check, boolean pending, String code, String message) {
    if (pending) {
      check.warning(code, message);
    } else {
      check.error(code, message);
    }
  }

  private static int rsaBits(byte[] spki) {
    try {
      RSAPublicKey key =
          (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(spki));
      return key.getModulus().bitLength();
    } catch (GeneralSecurityException | ClassCastException e) {
      return -1;
    }
  }
}

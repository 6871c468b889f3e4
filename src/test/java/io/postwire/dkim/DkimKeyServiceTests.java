package io.postwire.dkim;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.uniqueDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.Assertions;
import org.assertj.core.data.TemporalUnitOffset;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;

/** DKIM keys of the service: sealed at rest, usable after a restart, never logged. */
@QuarkusTest
class DkimKeyServiceTests {

  @Inject Pool pool;
  @Inject MeterRegistry registry;

  @ConfigProperty(name = "postwire.dkim.master-key")
  String masterKey;

  static final byte[] MESSAGE =
      ("From: a@%s\r\nTo: b@example.org\r\nSubject: s\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\n"
              + "Message-ID: <1@x>\r\n\r\nbody\r\n")
          .getBytes(StandardCharsets.US_ASCII);

  /** DKIM settings with this master key (null: none) and these previous ones. */
  static DkimConfig keys(String master, String... previous) {
    return new DkimConfig() {
      @Override
      public Optional<String> masterKey() {
        return Optional.ofNullable(master);
      }

      @Override
      public Optional<List<String>> previousMasterKeys() {
        return previous.length == 0 ? Optional.empty() : Optional.of(List.of(previous));
      }
    };
  }

  /** The master key the domain's stored keys open with, of {@code candidates}. */
  String sealedUnder(String domain, String... candidates) {
    List<Row> rows =
        Db.rows(
            pool, "select selector, private_key_sealed from dkim_key where domain = $1", domain);
    String found = null;
    for (String candidate : candidates) {
      MasterKeyCipher cipher = new MasterKeyCipher(candidate);
      boolean all = true;
      for (Row row : rows) {
        try {
          cipher.open(
              row.getBuffer("private_key_sealed").getBytes(),
              MasterKeyCipher.associatedData(domain, row.getString("selector")));
        } catch (IllegalArgumentException e) {
          all = false;
        }
      }
      if (all) {
        found = candidate;
      }
    }
    return found;
  }

  @Test
  void masterKeyRotation_signsWithThePreviousKeyUntilTheRekeyReSealsUnderTheNewOne() {
    String domain = register(List.of("rsa-sha256", "ed25519-sha256"));
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    String newKey = Base64.getEncoder().encodeToString(raw);
    byte[] message =
        String.format(new String(MESSAGE, StandardCharsets.US_ASCII), domain)
            .getBytes(StandardCharsets.US_ASCII);

    // the new master key alone opens nothing stored so far; with the old one as previous, it signs
    DkimKeyService newOnly = new DkimKeyService(pool, keys(newKey), new SimpleMeterRegistry());
    assertThatThrownBy(() -> newOnly.sign(domain, message).await().atMost(Duration.ofSeconds(20)))
        .isInstanceOf(IllegalArgumentException.class);
    DkimKeyService rotated =
        new DkimKeyService(pool, keys(newKey, masterKey), new SimpleMeterRegistry());
    assertThat(rotated.sign(domain, message).await().atMost(Duration.ofSeconds(20)))
        .contains("d=" + domain);

    int unreadableBefore = unreadableUnderTheServicesKey();
    DkimKeyService.Rekeyed done = rotated.rekey().await().atMost(Duration.ofSeconds(60));
    try {
      assertThat(done.resealed()).isGreaterThanOrEqualTo(2);
      assertThat(done.unreadable()).isEqualTo(unreadableBefore);
      assertThat(sealedUnder(domain, masterKey, newKey)).isEqualTo(newKey);
      DkimKeyService.Rekeyed again = rotated.rekey().await().atMost(Duration.ofSeconds(60));
      assertThat(again.resealed()).isZero();
      assertThat(again.current()).isEqualTo(done.resealed() + done.current());
      assertThat(newOnly.sign(domain, message).await().atMost(Duration.ofSeconds(20)))
          .contains("d=" + domain);
    } finally {
      // the database is shared with the running service, whose master key is the test one: back
      DkimKeyService back =
          new DkimKeyService(pool, keys(masterKey, newKey), new SimpleMeterRegistry());
      back.rekey().await().atMost(Duration.ofSeconds(60));
    }
    assertThat(sealedUnder(domain, masterKey, newKey)).isEqualTo(masterKey);
  }

  @Test
  void theRekeyEndpointIsForAdminsAndReportsWhatItDid() {
    String domain = register(List.of("rsa-sha256"));
    int unreadable = unreadableUnderTheServicesKey();
    admin()
        .post("/v1/admin/rekey")
        .then()
        .statusCode(200)
        .body("kinds.dkimKeys.resealed", Matchers.equalTo(0))
        .body("kinds.dkimKeys.current", Matchers.greaterThanOrEqualTo(1))
        .body("kinds.dkimKeys.unreadable", Matchers.equalTo(unreadable))
        .body("current", Matchers.greaterThanOrEqualTo(1))
        .body("unreadable", Matchers.greaterThanOrEqualTo(unreadable));
    Api.as(Api.scopedKey(domain)).post("/v1/admin/rekey").then().statusCode(403);
  }

  /**
   * Stored keys the service's master key cannot open: the database is shared with other test
   * classes, some of which seal keys under master keys of their own.
   */
  int unreadableUnderTheServicesKey() {
    return new DkimKeyService(pool, keys(masterKey), new SimpleMeterRegistry())
        .rekey()
        .await()
        .atMost(Duration.ofSeconds(60))
        .unreadable();
  }

  String register(List<String> algorithms) {
    String name = uniqueDomain();
    admin()
        .body(Map.of("name", name, "dkim", Map.of("algorithms", algorithms)))
        .post("/v1/domains")
        .then()
        .statusCode(201);
    return name;
  }

  @Test
  void storesPrivateKeysSealedNeverInClear() {
    String domain = register(List.of("rsa-sha256", "ed25519-sha256"));
    List<Row> rows =
        Db.rows(
            pool,
            "select selector, algorithm, private_key_sealed from dkim_key where domain = $1",
            domain);
    assertThat(rows).hasSize(2);
    MasterKeyCipher cipher = new MasterKeyCipher(masterKey);
    for (Row row : rows) {
      byte[] sealed = row.getBuffer("private_key_sealed").getBytes();
      byte[] pkcs8 =
          cipher.open(sealed, MasterKeyCipher.associatedData(domain, row.getString("selector")));
      PrivateKey key =
          DkimKeys.decodePrivate(DkimAlgorithm.fromWireName(row.getString("algorithm")), pkcs8);
      assertThat(key).isNotNull();
      // the key's last 16 bytes (secret material) do not appear in the stored column
      String tail = new String(pkcs8, pkcs8.length - 16, 16, StandardCharsets.ISO_8859_1);
      assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain(tail);
      assertThat(new String(sealed, StandardCharsets.ISO_8859_1))
          .doesNotContain(Base64.getEncoder().encodeToString(pkcs8).substring(0, 40));
    }
  }

  @Test
  void keysSurviveARestart_aFreshServiceSignsWithTheStoredKey() throws Exception {
    String domain = register(List.of("rsa-sha256"));
    Map<String, String> records = new HashMap<>();
    List<Map<String, Object>> keys =
        admin().get("/v1/domains/" + domain).then().extract().path("dkimKeys");
    @SuppressWarnings("unchecked")
    Map<String, String> record = (Map<String, String>) keys.get(0).get("dnsRecord");
    records.put(record.get("name"), record.get("value"));
    // a new service instance, as after a restart: nothing in memory, only the database and the
    // master key
    DkimKeyService fresh = new DkimKeyService(pool, keys(masterKey), new SimpleMeterRegistry());
    byte[] message =
        String.format(new String(MESSAGE, StandardCharsets.US_ASCII), domain)
            .getBytes(StandardCharsets.US_ASCII);
    String signature = fresh.sign(domain, message).await().atMost(Duration.ofSeconds(20));
    assertThat(signature).startsWith("DKIM-Signature:").contains("d=" + domain);
    byte[] signed =
        (signature + new String(message, StandardCharsets.US_ASCII))
            .getBytes(StandardCharsets.US_ASCII);
    JdkimVerifier verifier = new JdkimVerifier(records);
    assertThat(verifier.accepts(signed)).as(verifier.lastResults).isTrue();
  }

  @Test
  void theLogHoldsNoPrivateKeyMaterial() throws Exception {
    String domain = register(List.of("rsa-sha256", "ed25519-sha256"));
    admin()
        .body(Map.of("from", "a@" + domain, "to", List.of("b@example.org"), "text", "x"))
        .post("/v1/messages")
        .then()
        .statusCode(202);
    Thread.sleep(1500);
    MasterKeyCipher cipher = new MasterKeyCipher(masterKey);
    Path log = Path.of("target", "postwire-test.log");
    assertThat(log).exists();
    String text = Files.readString(log, StandardCharsets.ISO_8859_1);
    assertThat(text).doesNotContain(masterKey);
    for (Row row :
        Db.rows(
            pool, "select selector, private_key_sealed from dkim_key where domain = $1", domain)) {
      byte[] pkcs8 =
          cipher.open(
              row.getBuffer("private_key_sealed").getBytes(),
              MasterKeyCipher.associatedData(domain, row.getString("selector")));
      String b64 = Base64.getEncoder().encodeToString(pkcs8);
      assertThat(text).doesNotContain(b64.substring(b64.length() - 40));
    }
  }

  @Test
  void aMissingOrMalformedMasterKeyStopsTheStartWithAClearMessage() {
    DkimKeyService missing = new DkimKeyService(pool, keys(null), new SimpleMeterRegistry());
    assertThatThrownBy(() -> missing.checkMasterKey(null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("POSTWIRE_DKIM_MASTER_KEY");
    DkimKeyService malformed =
        new DkimKeyService(pool, keys("c2hvcnQ="), new SimpleMeterRegistry());
    assertThatThrownBy(() -> malformed.checkMasterKey(null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("postwire.dkim.master-key")
        .hasMessageNotContaining("c2hvcnQ=");
  }

  @Test
  void rotationAddsAPendingKeyAndActivationRetiresTheOldOne() {
    String domain = register(List.of("rsa-sha256"));
    admin()
        .body(Map.of("algorithm", "rsa-sha256"))
        .post("/v1/domains/" + domain + "/dkim-keys")
        .then()
        .statusCode(201)
        .body("status", Matchers.equalTo("pending"))
        .body("dnsRecord.name", Matchers.endsWith("._domainkey." + domain));
    admin()
        .body(Map.of("algorithm", "rsa-sha256", "activate", true))
        .post("/v1/domains/" + domain + "/dkim-keys")
        .then()
        .statusCode(201)
        .body("status", Matchers.equalTo("active"));
    assertThat(
            Db.count(
                pool,
                "select count(*) from dkim_key where domain = $1 and status = 'retired'",
                domain))
        .isEqualTo(1);
    assertThat(
            Db.count(
                pool,
                "select count(*) from dkim_key where domain = $1 and status = 'active'",
                domain))
        .isEqualTo(1);
    String scoped = Api.scopedKey(domain);
    Api.as(scoped)
        .body(Map.of("algorithm", "rsa-sha256"))
        .post("/v1/domains/" + domain + "/dkim-keys")
        .then()
        .statusCode(403)
        .body("code", Matchers.equalTo("forbidden"));
  }

  @Test
  void aRetiredKeyStaysListedAndPublishedForSevenDays_soMailItSignedStillVerifies() {
    String domain = register(List.of("rsa-sha256"));
    String old = admin().get("/v1/domains/" + domain).then().extract().path("dkimKeys[0].selector");
    String fresh =
        admin()
            .body(Map.of("algorithm", "rsa-sha256", "activate", true))
            .post("/v1/domains/" + domain + "/dkim-keys")
            .then()
            .statusCode(201)
            .extract()
            .path("selector");

    JsonPath view =
        admin().get("/v1/domains/" + domain).then().statusCode(200).extract().jsonPath();

    String retired = "dkimKeys.find { it.selector == '" + old + "' }";
    assertThat(view.getString(retired + ".status")).isEqualTo("retired");
    OffsetDateTime retiredAt = OffsetDateTime.parse(view.getString(retired + ".retiredAt"));
    assertThat(retiredAt).isCloseTo(OffsetDateTime.now(), within(60));
    assertThat(OffsetDateTime.parse(view.getString(retired + ".keepPublishedUntil")))
        .isEqualTo(retiredAt.plusDays(7));
    assertThat(view.getString("dkimKeys.find { it.selector == '" + fresh + "' }.retiredAt"))
        .isNull();
    List<String> dkimRecords = view.getList("dnsRecords.findAll { it.purpose == 'dkim' }.name");
    assertThat(dkimRecords)
        .containsExactlyInAnyOrder(old + "._domainkey." + domain, fresh + "._domainkey." + domain);
    assertThat(
            view.getString(
                "dnsRecords.find { it.name == '"
                    + old
                    + "._domainkey."
                    + domain
                    + "' }.keepPublishedUntil"))
        .isEqualTo(view.getString(retired + ".keepPublishedUntil"));

    // eight days on, the record may go; the key is still listed
    Db.exec(
        pool,
        """
        update dkim_key set retired_at = now() - interval '8 days'
        where domain = $1 and selector = $2""",
        domain,
        old);
    JsonPath later =
        admin().get("/v1/domains/" + domain).then().statusCode(200).extract().jsonPath();
    assertThat(later.getList("dkimKeys.selector")).contains(old);
    assertThat(later.getList("dnsRecords.findAll { it.purpose == 'dkim' }.name"))
        .containsExactly(fresh + "._domainkey." + domain);
  }

  private static TemporalUnitOffset within(long seconds) {
    return Assertions.within(seconds, ChronoUnit.SECONDS);
  }

  /** RFC 1035 §3.3.14: a TXT record is character-strings of at most 255 octets each. */
  @Test
  void everyTxtValueComesWholeAndAsAZoneFileLineOfStringsUpTo255Octets() {
    String domain = register(List.of("rsa-sha256", "ed25519-sha256"));
    JsonPath view =
        admin().get("/v1/domains/" + domain).then().statusCode(200).extract().jsonPath();

    List<Map<String, Object>> records = view.getList("dnsRecords");
    assertThat(records)
        .extracting(r -> r.get("purpose"))
        .contains("dkim", "spf", "dmarc", "mta-sts", "tls-rpt");
    List<Map<String, Object>> published = new ArrayList<>(records);
    published.addAll(view.getList("dkimKeys.dnsRecord"));
    for (Map<String, Object> record : published) {
      String name = (String) record.get("name");
      String value = (String) record.get("value");
      String line = (String) record.get("zoneFileLine");
      String prefix = name + ". 3600 IN TXT ";
      assertThat(line).as(name).startsWith(prefix);
      Matcher strings = Pattern.compile("\"([^\"]*)\"").matcher(line.substring(prefix.length()));
      StringBuilder joined = new StringBuilder();
      int count = 0;
      while (strings.find()) {
        assertThat(strings.group(1).getBytes(StandardCharsets.US_ASCII).length)
            .isLessThanOrEqualTo(255);
        joined.append(strings.group(1));
        count++;
      }
      assertThat(joined.toString()).as(name).isEqualTo(value);
      if (value.length() > 255) {
        assertThat(count).as(name).isGreaterThan(1);
      }
    }
    // the RSA-2048 key record needs more than one string
    assertThat(view.getString("dkimKeys.find { it.algorithm == 'rsa-sha256' }.dnsRecord.value"))
        .hasSizeGreaterThan(255);
    assertThat(view.getString("dnsRecords.find { it.purpose == 'mta-sts' }.name"))
        .isEqualTo("_mta-sts." + domain);
    assertThat(view.getString("dnsRecords.find { it.purpose == 'mta-sts' }.value"))
        .matches("v=STSv1; id=[0-9]{14}");
    assertThat(view.getString("dnsRecords.find { it.purpose == 'tls-rpt' }.name"))
        .isEqualTo("_smtp._tls." + domain);
    assertThat(view.getString("dnsRecords.find { it.purpose == 'tls-rpt' }.value"))
        .isEqualTo("v=TLSRPTv1; rua=mailto:tls-reports@" + domain);
  }
}

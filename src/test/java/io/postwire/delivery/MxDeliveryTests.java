package io.postwire.delivery;

import static io.postwire.delivery.MxDeliveryResource.BACKED_OFF;
import static io.postwire.delivery.MxDeliveryResource.BACKUP;
import static io.postwire.delivery.MxDeliveryResource.BUSY;
import static io.postwire.delivery.MxDeliveryResource.EQUAL_A;
import static io.postwire.delivery.MxDeliveryResource.EQUAL_B;
import static io.postwire.delivery.MxDeliveryResource.MAIN;
import static io.postwire.delivery.MxDeliveryResource.RATED;
import static io.postwire.delivery.MxDeliveryResource.RATED_SUFFIX;
import static io.postwire.delivery.MxDeliveryResource.REFUSING;
import static io.postwire.delivery.MxDeliveryResource.SHAPED;
import static io.postwire.delivery.MxDeliveryResource.SHAPED_SUFFIX;
import static io.postwire.delivery.MxDeliveryResource.STALLED;
import static io.postwire.delivery.MxDeliveryResource.STS_ENFORCE;
import static io.postwire.delivery.MxDeliveryResource.STS_MISMATCH;
import static io.postwire.delivery.MxDeliveryResource.STS_MX;
import static io.postwire.delivery.MxDeliveryResource.STS_NO_TLS;
import static io.postwire.delivery.MxDeliveryResource.STS_ROGUE;
import static io.postwire.delivery.MxDeliveryResource.STS_ROTATED;
import static io.postwire.delivery.MxDeliveryResource.STS_STORED;
import static io.postwire.delivery.MxDeliveryResource.STS_TESTING;
import static io.postwire.delivery.MxDeliveryResource.UNTOUCHED;
import static io.postwire.delivery.MxDeliveryResource.dns;
import static io.postwire.delivery.MxDeliveryResource.fetches;
import static io.postwire.delivery.MxDeliveryResource.policies;
import static io.postwire.delivery.MxDeliveryResource.server;
import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.delivery.smtp.SmtpResult;
import io.postwire.dns.Dns;
import io.postwire.dns.MtaStsPolicy;
import io.postwire.egress.EgressPolicy;
import io.postwire.mtasts.MtaStsFetcher;
import io.postwire.mtasts.MtaStsPolicies;
import io.postwire.mtasts.MtaStsPolicyStore;
import io.postwire.testing.Db;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

/**
 * MX mode end to end through the service (RFC 5321 §5.1, RFC 7505): submitted over REST, routed
 * through our resolver to scripted MX hosts on loopback, outcomes read back over REST.
 */
@QuarkusTest
@TestProfile(MxDeliveryTests.Mx.class)
class MxDeliveryTests {

  /** MX mode with the test resolver, scripted MX hosts, 1 s retries and 2 s SMTP timeouts. */
  public static class Mx implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(MxDeliveryResource.class));
    }
  }

  static String recipientDomain() {
    return "r" + UUID.randomUUID().toString().substring(0, 8) + ".example.net";
  }

  @Inject Pool pool;

  @Inject Dns resolver;

  @Inject MtaStsPolicyStore policyStore;

  @Inject MtaStsFetcher fetcher;

  @Inject Vertx vertx;

  @Inject DeliveryConfig deliveryConfig;

  @Inject EgressPolicy egress;

  /** A fresh recipient domain whose one MX host is the main scripted server. */
  String recipientDomainServedByMain() {
    String to = recipientDomain();
    dns.mx(to, 10, "mx." + to).a("mx." + to, MAIN);
    return to;
  }

  /** Messages this class sent; their unfinished rows must not outlive it (the queue is shared). */
  static final List<String> sent = new CopyOnWriteArrayList<>();

  @AfterEach
  void finishWhatIsLeft() {
    if (!sent.isEmpty()) {
      Db.exec(
          pool,
          """
          update delivery set status = 'failed', next_attempt_at = null, lease_owner = null
          where status in ('queued', 'deferred')
          and message_id::text = any(string_to_array($1, ','))""",
          String.join(",", sent));
      sent.clear();
    }
  }

  static String send(String from, List<String> to, Map<String, Object> extra) {
    Map<String, Object> body = new HashMap<>();
    body.put("from", "sender@" + from);
    body.put("to", to);
    body.put("subject", "mx test");
    body.put("text", "hello");
    body.putAll(extra);
    String id = admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id");
    sent.add(id);
    return id;
  }

  static Map<String, Object> message(String id) {
    return admin().get("/v1/messages/" + id).then().statusCode(200).extract().jsonPath().get("$");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> recipient(String id, String address) {
    List<Map<String, Object>> recipients =
        (List<Map<String, Object>>) message(id).get("recipients");
    return recipients.stream()
        .filter(r -> address.equals(r.get("address")))
        .findFirst()
        .orElseThrow();
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> events(String id, String type) {
    List<Map<String, Object>> events = (List<Map<String, Object>>) message(id).get("events");
    return events.stream().filter(e -> type.equals(e.get("type"))).toList();
  }

  static Map<String, Object> awaitStatus(String id, String address, String... statuses) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> List.of(statuses).contains(recipient(id, address).get("status")));
    return recipient(id, address);
  }

  static ScriptedSmtpServer.Received firstReceived(String ip, String address) {
    return server(ip).messages().stream()
        .filter(m -> m.recipients().contains(address))
        .findFirst()
        .orElseThrow();
  }

  static long receivedBy(String ip, String address) {
    return server(ip).messages().stream().filter(m -> m.recipients().contains(address)).count();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> lastResponse(Map<String, Object> recipient) {
    return (Map<String, Object>) recipient.get("lastResponse");
  }

  /**
   * RFC 5321 §4.1.2 and RFC 5322 §3.4.1: a quoted-string local part keeps its quotes in RCPT TO and
   * in the To field, or it would name another mailbox (or none).
   */
  @Test
  void sendsAQuotedLocalPartQuotedInTheEnvelopeAndTheHeader() {
    String from = registerDomain();
    String rcpt = "\"bob smith\"@" + recipientDomainServedByMain();
    String id = send(from, List.of(rcpt), Map.of());
    awaitStatus(id, rcpt, "delivered");
    assertThat(server(MAIN).commands()).contains("RCPT TO:<" + rcpt + ">");
    assertThat(firstReceived(MAIN, rcpt).text())
        .containsPattern("\r\nTo: <?\\Q" + rcpt + "\\E>?\r\n");
  }

  @Test
  void fallsBackToTheNextMxWhenTheFirstRefusesTheConnection() {
    String from = registerDomain();
    String to = recipientDomain();
    dns.mx(to, 10, "mx1." + to).a("mx1." + to, REFUSING);
    dns.mx(to, 20, "mx2." + to).a("mx2." + to, BACKUP);
    String rcpt = "alice@" + to;
    String id = send(from, List.of(rcpt), Map.of());
    Map<String, Object> r = awaitStatus(id, rcpt, "delivered");
    assertThat(receivedBy(BACKUP, rcpt)).isEqualTo(1);
    assertThat(lastResponse(r).get("host")).isEqualTo("mx2." + to);
    assertThat(lastResponse(r).get("code")).isEqualTo(250);
  }

  @Test
  void spreadsMailOverMxHostsOfEqualPreference() {
    String from = registerDomain();
    String to = recipientDomain();
    dns.mx(to, 10, "a." + to).a("a." + to, EQUAL_A);
    dns.mx(to, 10, "b." + to).a("b." + to, EQUAL_B);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      ids.add(send(from, List.of("u" + i + "@" + to), Map.of()));
    }
    for (int i = 0; i < 16; i++) {
      awaitStatus(ids.get(i), "u" + i + "@" + to, "delivered");
    }
    long onA = server(EQUAL_A).messages().stream().filter(m -> m.mailFrom().endsWith(from)).count();
    long onB = server(EQUAL_B).messages().stream().filter(m -> m.mailFrom().endsWith(from)).count();
    // RFC 5321 §5.1: random order among equal preferences; all 16 on one host has p = 2^-15
    assertThat(onA + onB).isEqualTo(16);
    assertThat(onA).isPositive();
    assertThat(onB).isPositive();
  }

  @Test
  void usesTheDomainItselfWhenItHasNoMxButAnAddress() {
    String from = registerDomain();
    String to = recipientDomain();
    dns.a(to, BACKUP);
    String rcpt = "implicit@" + to;
    String id = send(from, List.of(rcpt), Map.of());
    Map<String, Object> r = awaitStatus(id, rcpt, "delivered");
    assertThat(receivedBy(BACKUP, rcpt)).isEqualTo(1);
    assertThat(lastResponse(r).get("host")).isEqualTo(to);
  }

  @Test
  void bouncesANullMxDomainWithoutConnecting() {
    String from = registerDomain();
    String to = recipientDomain();
    // RFC 7505 §3: "MX 0 ." says no mail; the A record must not be taken as an implicit MX
    dns.mx(to, 0, ".").a(to, UNTOUCHED);
    String rcpt = "nobody@" + to;
    String id = send(from, List.of(rcpt), Map.of());
    Map<String, Object> r = awaitStatus(id, rcpt, "bounced");
    assertThat(r.get("bounceCategory")).isEqualTo("bad_domain");
    assertThat(r.get("lastResponse")).isNull();
    @SuppressWarnings("unchecked")
    Map<String, Object> detail = (Map<String, Object>) events(id, "bounced").get(0).get("detail");
    assertThat(detail.get("enhancedCode")).isEqualTo("5.1.10");
    assertThat(server(UNTOUCHED).connectionsAccepted()).isZero();
  }

  @Test
  void logsEveryBounceAndDeferralUnderTheOutcomesCategory() {
    List<String> lines = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.INFO.intValue()) {
              lines.add(
                  record.getParameters() == null
                      ? record.getMessage()
                      : String.format(record.getMessage(), record.getParameters()));
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger category = Logger.getLogger("io.postwire.delivery.outcomes");
    category.addHandler(capture);
    try {
      String from = registerDomain();
      String nullMx = recipientDomain();
      dns.mx(nullMx, 0, ".");
      String ghost = recipientDomain();
      dns.mx(ghost, 10, "ghost." + ghost);
      String bounced = "nobody@" + nullMx;
      String deferred = "ghost@" + ghost;
      String id = send(from, List.of(bounced), Map.of());
      String other = send(from, List.of(deferred), Map.of());
      awaitStatus(id, bounced, "bounced");
      awaitStatus(other, deferred, "deferred");
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                assertThat(lines)
                    .anySatisfy(
                        l ->
                            assertThat(l)
                                .contains("message=" + id, "recipient=" + bounced)
                                .contains("status=bounced", "enhanced=5.1.10"));
                assertThat(lines)
                    .anySatisfy(
                        l ->
                            assertThat(l)
                                .contains("message=" + other, "recipient=" + deferred)
                                .contains("status=deferred", "enhanced=4.4.4"));
              });
    } finally {
      category.removeHandler(capture);
    }
  }

  @Test
  void defersWhenTheMxHostDoesNotResolve() {
    String from = registerDomain();
    String to = recipientDomain();
    dns.mx(to, 10, "ghost." + to);
    String rcpt = "ghost@" + to;
    String id = send(from, List.of(rcpt), Map.of());
    Map<String, Object> r = awaitStatus(id, rcpt, "deferred");
    assertThat(r.get("nextAttemptAt")).isNotNull();
    @SuppressWarnings("unchecked")
    Map<String, Object> detail = (Map<String, Object>) events(id, "deferred").get(0).get("detail");
    assertThat(detail.get("enhancedCode")).isEqualTo("4.4.4");
  }

  @Test
  void recordsEachRecipientsOwnOutcomeInOneTransaction() {
    String from = registerDomain();
    String to = recipientDomainServedByMain();
    String ok = "ok@" + to;
    String gone = "gone@" + to;
    String busy = "busy@" + to;
    String full = "full@" + to;
    String quota = "quota@" + to;
    String policy = "policy@" + to;
    server(MAIN)
        .rcpt(gone, "550 5.1.1 No such user")
        .rcpt(busy, "450 4.2.1 Mailbox busy")
        .rcpt(full, "452 4.2.2 Mailbox full")
        .rcpt(quota, "552 5.2.2 Over quota")
        .rcpt(policy, "550 5.7.1 Rejected by policy");
    String id = send(from, List.of(ok, gone, busy, full, quota, policy), Map.of());
    awaitStatus(id, ok, "delivered");
    Map<String, Object> goneR = awaitStatus(id, gone, "bounced");
    Map<String, Object> busyR = awaitStatus(id, busy, "deferred");
    Map<String, Object> fullR = awaitStatus(id, full, "deferred");
    Map<String, Object> quotaR = awaitStatus(id, quota, "deferred");
    Map<String, Object> policyR = awaitStatus(id, policy, "bounced");

    List<ScriptedSmtpServer.Received> received =
        server(MAIN).messages().stream().filter(m -> m.recipients().contains(ok)).toList();
    assertThat(received).hasSize(1);
    assertThat(received.get(0).recipients()).containsExactly(ok);

    assertThat(goneR.get("bounceCategory")).isEqualTo("invalid_recipient");
    assertThat(lastResponse(goneR).get("code")).isEqualTo(550);
    assertThat(lastResponse(goneR).get("enhancedCode")).isEqualTo("5.1.1");
    // the hard bounce suppresses the address for the sending domain only
    admin()
        .get("/v1/suppressions/" + gone)
        .then()
        .statusCode(200)
        .body("items.domain", Matchers.contains(from))
        .body("items.reason", Matchers.contains("hard_bounce"))
        .body("items.detail", Matchers.contains("permanent failure"));

    assertThat(busyR.get("nextAttemptAt")).isNotNull();
    assertThat(lastResponse(busyR).get("code")).isEqualTo(450);
    assertThat(fullR.get("nextAttemptAt")).isNotNull();
    assertThat(lastResponse(fullR).get("code")).isEqualTo(452);

    // RFC 5321 §4.5.3.1.10: 552 to RCPT is retried as 452; a full mailbox may empty
    assertThat(quotaR.get("nextAttemptAt")).isNotNull();
    assertThat(lastResponse(quotaR).get("code")).isEqualTo(452);
    assertThat(lastResponse(quotaR).get("enhancedCode")).isEqualTo("4.2.2");
    assertThat((String) lastResponse(quotaR).get("text")).startsWith("Over quota");
    admin().get("/v1/suppressions/" + quota).then().statusCode(404);
    // RFC 3463 §3.8: a policy refusal says nothing about the address
    assertThat(policyR.get("bounceCategory")).isEqualTo("policy");
    admin().get("/v1/suppressions/" + policy).then().statusCode(404);
  }

  static String dkimSignature(ScriptedSmtpServer.Received received) {
    String text = new String(received.data(), StandardCharsets.US_ASCII);
    int start = text.indexOf("DKIM-Signature:");
    assertThat(start).as("a DKIM-Signature field").isGreaterThanOrEqualTo(0);
    int end = text.indexOf("\r\n", start);
    while (end + 2 < text.length()
        && (text.charAt(end + 2) == ' ' || text.charAt(end + 2) == '\t')) {
      end = text.indexOf("\r\n", end + 2);
    }
    return text.substring(start, end);
  }

  @Test
  void rawGivesExactlyTheBytesTheMxHostReceived() {
    String from = registerDomain();
    String to = recipientDomainServedByMain();
    String rcpt = "raw@" + to;
    // a line starting with a dot is stuffed on the wire (RFC 5321 §4.5.2), never in the message
    String id = send(from, List.of(rcpt), Map.of("text", "first\n.second\nthird"));
    awaitStatus(id, rcpt, "delivered");

    byte[] raw =
        admin()
            .get("/v1/messages/" + id + "/raw")
            .then()
            .statusCode(200)
            .contentType("message/rfc822")
            .extract()
            .asByteArray();

    byte[] received = firstReceived(MAIN, rcpt).data();
    assertThat(new String(raw, StandardCharsets.ISO_8859_1))
        .startsWith("DKIM-Signature:")
        .isEqualTo(new String(received, StandardCharsets.ISO_8859_1));
    assertThat(raw).isEqualTo(received);
  }

  @Test
  void sendsTheSameSignedBytesToEveryDomainAndOnEveryRetry() {
    // Architecture: a message is signed once; every later transaction (another domain, a retry)
    // carries the same DKIM-Signature.
    String from = registerDomain();
    String first = recipientDomain();
    String second = recipientDomain();
    dns.mx(first, 10, "mx." + first).a("mx." + first, MAIN);
    dns.mx(second, 10, "mx." + second).a("mx." + second, MAIN);
    String now = "now@" + first;
    String later = "later@" + second;
    server(MAIN).rcpt(later, "450 4.2.1 Try later");
    String id = send(from, List.of(now, later), Map.of());
    awaitStatus(id, now, "delivered");
    awaitStatus(id, later, "deferred");
    server(MAIN).rcpt(later, "250 2.1.5 Ok");
    awaitStatus(id, later, "delivered");

    ScriptedSmtpServer.Received toFirst = firstReceived(MAIN, now);
    ScriptedSmtpServer.Received toSecond = firstReceived(MAIN, later);
    assertThat(dkimSignature(toSecond)).isEqualTo(dkimSignature(toFirst));
    assertThat(events(id, "signed")).hasSize(1);
  }

  @Test
  void aRetryOfAMessageWithOneRecipientCarriesTheSignatureStoredWithItsDeferral() {
    String from = registerDomain();
    String to = recipientDomainServedByMain();
    String rcpt = "retry@" + to;
    server(MAIN).rcpt(rcpt, "450 4.2.1 Try later");
    String id = send(from, List.of(rcpt), Map.of());
    awaitStatus(id, rcpt, "deferred");
    String stored =
        Db.rows(pool, "select signature from message where id = $1::uuid", id)
            .get(0)
            .getString("signature");
    assertThat(stored)
        .as("the signature is stored with the deferral")
        .startsWith("DKIM-Signature:");
    server(MAIN).rcpt(rcpt, "250 2.1.5 Ok");
    awaitStatus(id, rcpt, "delivered");

    ScriptedSmtpServer.Received received = firstReceived(MAIN, rcpt);
    assertThat(dkimSignature(received)).isEqualTo(stored.strip());
    assertThat(events(id, "signed")).hasSize(1);
    assertThat(events(id, "attempt")).hasSize(2);
  }

  @Test
  void honoursTheServersRetryHint() {
    String from = registerDomain();
    String to = recipientDomainServedByMain();
    String rcpt = "later@" + to;
    server(MAIN).rcpt(rcpt, "451 4.7.1 Greylisted, try again in 10 minutes");
    Instant before = Instant.now();
    String id = send(from, List.of(rcpt), Map.of());
    Map<String, Object> r = awaitStatus(id, rcpt, "deferred");
    Instant next = Instant.parse((String) r.get("nextAttemptAt"));
    assertThat(next).isAfterOrEqualTo(before.plus(Duration.ofMinutes(10)));
  }

  @Test
  void expiresARecipientStillDeferredAtItsExpiry() {
    String from = registerDomain();
    String to = recipientDomainServedByMain();
    String rcpt = "never@" + to;
    server(MAIN).rcpt(rcpt, "450 4.2.1 Try later");
    String id =
        send(
            from,
            List.of(rcpt),
            Map.of("expiresAt", Instant.now().plus(Duration.ofSeconds(4)).toString()));
    Map<String, Object> r = awaitStatus(id, rcpt, "expired");
    assertThat(r.get("bounceCategory")).isEqualTo("expired");
    assertThat(events(id, "attempt")).isNotEmpty();
  }

  @Test
  @SuppressWarnings("unchecked")
  void recordsEveryAttemptWithItsConnectionDetails() {
    String from = registerDomain();
    String to = recipientDomainServedByMain();
    String rcpt = "twice@" + to;
    server(MAIN).rcpt(rcpt, "450 4.2.1 Try later");
    String id = send(from, List.of(rcpt), Map.of());
    await().atMost(Duration.ofSeconds(20)).until(() -> events(id, "attempt").size() >= 2);
    server(MAIN).rcpt(rcpt, "250 2.1.5 OK");
    awaitStatus(id, rcpt, "delivered");
    List<Map<String, Object>> attempts = events(id, "attempt");
    assertThat(attempts.size()).isGreaterThanOrEqualTo(3);
    for (Map<String, Object> attempt : attempts) {
      Map<String, Object> d = (Map<String, Object>) attempt.get("detail");
      assertThat(attempt.get("recipient")).isEqualTo(rcpt);
      assertThat(d.get("host")).isEqualTo("mx." + to);
      assertThat(d.get("ip")).isEqualTo(MAIN);
      assertThat(d).containsKeys("tls", "code", "enhancedCode", "text", "durationMs");
      assertThat(d.get("tls")).isEqualTo(false);
      assertThat(((Number) d.get("durationMs")).longValue()).isGreaterThanOrEqualTo(0);
    }
    Map<String, Object> first = (Map<String, Object>) attempts.get(0).get("detail");
    assertThat(first.get("code")).isEqualTo(450);
    assertThat(first.get("enhancedCode")).isEqualTo("4.2.1");
    assertThat(first.get("text")).asString().contains("Try later");
    Map<String, Object> last =
        (Map<String, Object>) attempts.get(attempts.size() - 1).get("detail");
    assertThat(last.get("code")).isEqualTo(250);
  }

  @Test
  void defersARecipientWhenTheServerStalls() {
    String from = registerDomain();
    String to = recipientDomain();
    dns.mx(to, 10, "slow." + to).a("slow." + to, STALLED);
    String rcpt = "stalled@" + to;
    long started = System.nanoTime();
    String id = send(from, List.of(rcpt), Map.of());
    Map<String, Object> r = awaitStatus(id, rcpt, "deferred");
    // the 2 s command timeout ends the attempt, not the server
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
    assertThat(r.get("nextAttemptAt")).isNotNull();
    assertThat(receivedBy(STALLED, rcpt)).isZero();
  }

  @Test
  void triesTheNextMxWhenTheFirstGreetsWith421() {
    String from = registerDomain();
    String to = recipientDomain();
    dns.mx(to, 10, "busy." + to).a("busy." + to, BUSY);
    dns.mx(to, 20, "backup." + to).a("backup." + to, BACKUP);
    String rcpt = "greet@" + to;
    String id = send(from, List.of(rcpt), Map.of());
    Map<String, Object> r = awaitStatus(id, rcpt, "delivered");
    assertThat(receivedBy(BACKUP, rcpt)).isEqualTo(1);
    assertThat(lastResponse(r).get("host")).isEqualTo("backup." + to);
  }

  @Test
  void backsOffAHostThatGreetedWith421AndDefersWithoutConnecting() {
    String from = registerDomain();
    String to = recipientDomain();
    dns.mx(to, 10, "closing." + to).a("closing." + to, BACKED_OFF);
    String first = "first@" + to;
    Instant before = Instant.now();
    String firstId = send(from, List.of(first), Map.of());
    Map<String, Object> r = awaitStatus(firstId, first, "deferred");
    assertThat(server(BACKED_OFF).connectionsAccepted()).isEqualTo(1);
    assertThat(lastResponse(r).get("code")).isEqualTo(421);

    // every MX of the domain is backed off: deferred at once, no connection, retried after it
    String second = "second@" + to;
    String secondId = send(from, List.of(second), Map.of());
    Map<String, Object> s = awaitStatus(secondId, second, "deferred");
    @SuppressWarnings("unchecked")
    Map<String, Object> detail =
        (Map<String, Object>) events(secondId, "deferred").get(0).get("detail");
    assertThat(detail.get("enhancedCode")).isEqualTo("4.4.5");
    assertThat(Instant.parse((String) s.get("nextAttemptAt")))
        .isAfter(before.plus(Duration.ofSeconds(45)));
    // the first recipient's 1 s retry schedule does not bring it back either
    await().pollDelay(Duration.ofSeconds(3)).until(() -> true);
    assertThat(server(BACKED_OFF).connectionsAccepted()).isEqualTo(1);
  }

  @Test
  void neverOpensMoreConnectionsToAHostThanItsRuleAllows() {
    String from = registerDomain();
    String to = "d" + UUID.randomUUID().toString().substring(0, 8) + SHAPED_SUFFIX;
    dns.mx(to, 10, "mx." + to).a("mx." + to, SHAPED);
    server(SHAPED).slowDataEnd(Duration.ofMillis(300));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      ids.add(send(from, List.of("s" + i + "@" + to), Map.of()));
    }
    for (int i = 0; i < 12; i++) {
      awaitStatus(ids.get(i), "s" + i + "@" + to, "delivered");
    }
    // the rule for *.shaped.example.net: 2 connections, 3 messages per connection
    assertThat(server(SHAPED).maxOpenConnections()).isEqualTo(2);
    Map<Integer, Long> perConnection =
        server(SHAPED).messages().stream()
            .collect(
                Collectors.groupingBy(
                    ScriptedSmtpServer.Received::connection, Collectors.counting()));
    assertThat(perConnection.values()).allMatch(n -> n <= 3);
    assertThat(perConnection.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(12);
  }

  @Test
  void defersWhatExceedsAHostsRatePerMinute() {
    String from = registerDomain();
    String to = "d" + UUID.randomUUID().toString().substring(0, 8) + RATED_SUFFIX;
    dns.mx(to, 10, "mx." + to).a("mx." + to, RATED);
    Instant before = Instant.now();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(send(from, List.of("q" + i + "@" + to), Map.of()));
    }
    // 2 per minute: two go at once, a third waits its turn (30 s), a fourth is deferred
    await().atMost(Duration.ofSeconds(15)).until(() -> server(RATED).messages().size() == 2);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              for (int i = 0; i < 4; i++) {
                if ("deferred".equals(recipient(ids.get(i), "q" + i + "@" + to).get("status"))) {
                  return true;
                }
              }
              return false;
            });
    for (int i = 0; i < 4; i++) {
      Map<String, Object> r = recipient(ids.get(i), "q" + i + "@" + to);
      if ("deferred".equals(r.get("status"))) {
        @SuppressWarnings("unchecked")
        Map<String, Object> detail =
            (Map<String, Object>) events(ids.get(i), "deferred").get(0).get("detail");
        assertThat(detail.get("text")).asString().contains("rate limit");
        assertThat(Instant.parse((String) r.get("nextAttemptAt")))
            .isAfter(before.plus(Duration.ofSeconds(30)));
      }
    }
    assertThat(server(RATED).messages()).hasSize(2);
  }

  static void publishPolicy(String domain, String id, String mode, String... mx) {
    StringBuilder text = new StringBuilder("version: STSv1\nmode: " + mode + "\n");
    for (String m : mx) {
      text.append("mx: ").append(m).append("\n");
    }
    text.append("max_age: 86400\n");
    policies.put("mta-sts." + domain, text.toString());
    dns.remove("_mta-sts." + domain, Type.TXT);
    dns.txt("_mta-sts." + domain, "v=STSv1; id=" + id);
  }

  static int fetchesOf(String domain) {
    var n = fetches.get("mta-sts." + domain);
    return n == null ? 0 : n.get();
  }

  @Test
  @SuppressWarnings("unchecked")
  void deliversOverVerifiedTlsToAnMxAnEnforcedMtaStsPolicyNames() {
    String from = registerDomain();
    publishPolicy(STS_ENFORCE, "1", "enforce", "mx." + STS_ENFORCE);
    dns.mx(STS_ENFORCE, 10, "mx." + STS_ENFORCE).a("mx." + STS_ENFORCE, STS_MX);
    String rcpt = "sts@" + STS_ENFORCE;
    String id = send(from, List.of(rcpt), Map.of());
    awaitStatus(id, rcpt, "delivered");
    List<ScriptedSmtpServer.Received> got =
        server(STS_MX).messages().stream().filter(m -> m.recipients().contains(rcpt)).toList();
    assertThat(got).hasSize(1);
    assertThat(got.get(0).tls()).isTrue();
    Map<String, Object> d = (Map<String, Object>) events(id, "attempt").get(0).get("detail");
    assertThat(d.get("tls")).isEqualTo(true);
  }

  @Test
  void defersWhenNoMxMatchesAnEnforcedPolicyWithoutConnecting() {
    String from = registerDomain();
    // RFC 8461 §4.1: an MX the policy does not name is not used at all
    publishPolicy(STS_MISMATCH, "1", "enforce", "mx.elsewhere.example.net");
    dns.mx(STS_MISMATCH, 10, "mx." + STS_MISMATCH).a("mx." + STS_MISMATCH, STS_ROGUE);
    String rcpt = "sts@" + STS_MISMATCH;
    String id = send(from, List.of(rcpt), Map.of());
    awaitStatus(id, rcpt, "deferred");
    @SuppressWarnings("unchecked")
    Map<String, Object> detail = (Map<String, Object>) events(id, "deferred").get(0).get("detail");
    assertThat(detail.get("enhancedCode")).isEqualTo("4.7.5");
    assertThat(server(STS_ROGUE).connectionsAccepted()).isZero();
  }

  @Test
  void defersUnderAnEnforcedPolicyWhenTlsIsMissingOrItsCertificateIsForAnotherName() {
    String from = registerDomain();
    publishPolicy(STS_NO_TLS, "1", "enforce", "*." + STS_NO_TLS);
    // mx1 offers no STARTTLS; mx2's certificate names other hosts (RFC 8461 §4.2)
    dns.mx(STS_NO_TLS, 10, "mx1." + STS_NO_TLS).a("mx1." + STS_NO_TLS, BACKUP);
    dns.mx(STS_NO_TLS, 20, "mx2." + STS_NO_TLS).a("mx2." + STS_NO_TLS, STS_MX);
    String rcpt = "sts@" + STS_NO_TLS;
    String id = send(from, List.of(rcpt), Map.of());
    awaitStatus(id, rcpt, "deferred");
    assertThat(receivedBy(BACKUP, rcpt)).isZero();
    assertThat(receivedBy(STS_MX, rcpt)).isZero();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> attempts =
        events(id, "attempt").stream().map(e -> (Map<String, Object>) e.get("detail")).toList();
    assertThat(attempts).isNotEmpty();
  }

  @Test
  void aTestingPolicyReportsButDelivers() {
    String from = registerDomain();
    publishPolicy(STS_TESTING, "1", "testing", "mx.elsewhere.example.net");
    dns.mx(STS_TESTING, 10, "mx." + STS_TESTING).a("mx." + STS_TESTING, BACKUP);
    String rcpt = "sts@" + STS_TESTING;
    String id = send(from, List.of(rcpt), Map.of());
    awaitStatus(id, rcpt, "delivered");
    assertThat(receivedBy(BACKUP, rcpt)).isEqualTo(1);
    assertThat(fetchesOf(STS_TESTING)).isEqualTo(1);
  }

  @Test
  void fetchesThePolicyAgainOnlyWhenItsIdChanges() {
    String from = registerDomain();
    publishPolicy(STS_ROTATED, "1", "enforce", "mx." + STS_ROTATED);
    dns.mx(STS_ROTATED, 10, "mx." + STS_ROTATED).a("mx." + STS_ROTATED, STS_MX);
    String first = send(from, List.of("one@" + STS_ROTATED), Map.of());
    awaitStatus(first, "one@" + STS_ROTATED, "delivered");
    // a changed policy under the same id stays unseen: the cached one is in force (RFC 8461 §5.1)
    policies.put(
        "mta-sts." + STS_ROTATED,
        "version: STSv1\nmode: enforce\nmx: mx.elsewhere.example.net\nmax_age: 86400\n");
    String second = send(from, List.of("two@" + STS_ROTATED), Map.of());
    awaitStatus(second, "two@" + STS_ROTATED, "delivered");
    assertThat(fetchesOf(STS_ROTATED)).isEqualTo(1);
    // a new id: fetched again, and the new policy no longer names the MX
    publishPolicy(STS_ROTATED, "2", "enforce", "mx.elsewhere.example.net");
    String third = send(from, List.of("three@" + STS_ROTATED), Map.of());
    awaitStatus(third, "three@" + STS_ROTATED, "deferred");
    assertThat(fetchesOf(STS_ROTATED)).isEqualTo(2);
    assertThat(receivedBy(STS_MX, "three@" + STS_ROTATED)).isZero();
  }

  /**
   * MTA-STS policies as a replica that never fetched them sees them: its own memory empty, the
   * database shared.
   */
  MtaStsPolicies freshReplicaPolicies() {
    return new MtaStsPolicies(resolver, fetcher, policyStore, Clock.systemUTC());
  }

  @Test
  void aStoredPolicyStaysInForceAfterARestartWhenItsHostIsGone() {
    String from = registerDomain();
    publishPolicy(STS_STORED, "1", "enforce", "mx." + STS_STORED);
    dns.mx(STS_STORED, 10, "mx." + STS_STORED).a("mx." + STS_STORED, STS_MX);
    String first = send(from, List.of("one@" + STS_STORED), Map.of());
    awaitStatus(first, "one@" + STS_STORED, "delivered");
    assertThat(fetchesOf(STS_STORED)).isEqualTo(1);
    assertThat(
            Db.rows(pool, "select policy_id from mta_sts_policy where domain = $1", STS_STORED)
                .get(0)
                .getString("policy_id"))
        .isEqualTo("1");

    // the policy host is gone (404) and a new id is published: the fetch fails, and a replica
    // that never saw the policy still enforces the stored one (RFC 8461 §5.1)
    policies.remove("mta-sts." + STS_STORED);
    dns.remove("_mta-sts." + STS_STORED, Type.TXT);
    dns.txt("_mta-sts." + STS_STORED, "v=STSv1; id=2");
    MtaStsPolicies restarted = freshReplicaPolicies();
    MtaStsPolicy policy = restarted.policy(STS_STORED).await().atMost(Duration.ofSeconds(20));
    assertThat(policy).isNotNull();
    assertThat(policy.mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
    assertThat(policy.mx()).containsExactly("mx." + STS_STORED);
    assertThat(fetchesOf(STS_STORED)).isEqualTo(2);

    // the record stripped too, and a rogue MX published: still enforced, the rogue untouched
    dns.remove("_mta-sts." + STS_STORED, Type.TXT);
    dns.remove(STS_STORED, Type.MX);
    dns.mx(STS_STORED, 10, "rogue." + STS_STORED).a("rogue." + STS_STORED, STS_ROGUE);
    MtaStsPolicies again = freshReplicaPolicies();
    MxRouter router =
        new MxRouter(
            resolver,
            tx -> {
              throw new AssertionError("connected to " + tx.host());
            },
            deliveryConfig.smtpPort(),
            new HostBackoff(Duration.ofMinutes(1), Duration.ofMinutes(30), Clock.systemUTC()),
            TrafficShaping.of(deliveryConfig.shaping(), deliveryConfig.idleTimeout()),
            again,
            egress);
    SmtpResult result =
        router
            .deliver(
                STS_STORED,
                "b@example.org",
                List.of("two@" + STS_STORED),
                new byte[0],
                new byte[] {'x'})
            .await()
            .atMost(Duration.ofSeconds(20));
    assertThat(result.reply("two@" + STS_STORED).enhancedCode()).isEqualTo("4.7.5");
    assertThat(server(STS_ROGUE).connectionsAccepted()).isZero();
  }
}

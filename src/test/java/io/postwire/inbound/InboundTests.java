package io.postwire.inbound;

import static io.postwire.delivery.MxDeliveryResource.MAIN;
import static io.postwire.delivery.MxDeliveryResource.dns;
import static io.postwire.delivery.MxDeliveryResource.server;
import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static io.postwire.testing.Api.uniqueDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.delivery.MxDeliveryResource;
import io.postwire.testing.Db;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The inbound listener end to end (API.md "Inbound mail"): a message is delivered over MX to a
 * scripted server on loopback with a VERP envelope sender, and reports sent over SMTP to that
 * address change its recipient, suppress it and show as events; forged tokens, other recipients'
 * reports and relaying are refused or ignored.
 */
@QuarkusTest
@TestProfile(InboundTests.Inbound.class)
class InboundTests {

  static final String RETURN_PATH = "bounces.postwire.test";
  static final String FEEDBACK = "fbl@" + RETURN_PATH;

  /** MX delivery to scripted servers, and the inbound listener on a free port. */
  public static class Inbound implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "postwire.inbound.port", "0",
          "postwire.inbound.host", "127.0.0.1",
          "postwire.inbound.domain", RETURN_PATH,
          "postwire.inbound.feedback-address", FEEDBACK,
          "postwire.inbound.hostname", "inbound.postwire.test",
          "postwire.inbound.max-recipients", "3",
          "postwire.inbound.max-size", "100000",
          "postwire.inbound.in-flight-wait", "5s");
    }

    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(MxDeliveryResource.class));
    }
  }

  @Inject InboundListener listener;
  @Inject Pool pool;

  int port() {
    return listener.port();
  }

  static String recipientDomain() {
    String to = "r" + UUID.randomUUID().toString().substring(0, 8) + ".example.net";
    dns.mx(to, 10, "mx." + to).a("mx." + to, MAIN);
    return to;
  }

  static String send(String from, List<String> to) {
    return admin()
        .body(Map.of("from", "a@" + from, "to", to, "subject", "Hello", "text", "plain body"))
        .post("/v1/messages")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> message(String id) {
    return admin().get("/v1/messages/" + id).then().statusCode(200).extract().as(Map.class);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> recipient(String id, String address) {
    List<Map<String, Object>> rs = (List<Map<String, Object>>) message(id).get("recipients");
    return rs.stream().filter(r -> address.equals(r.get("address"))).findFirst().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> events(String id, String type) {
    List<Map<String, Object>> events = (List<Map<String, Object>>) message(id).get("events");
    return events.stream().filter(e -> type.equals(e.get("type"))).toList();
  }

  static void awaitStatus(String id, String address, String status) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> status.equals(recipient(id, address).get("status")));
  }

  /** The envelope sender the scripted MX saw for {@code rcpt}. */
  static String envelopeSender(String rcpt) {
    return server(MAIN).messages().stream()
        .filter(m -> m.recipients().contains(rcpt))
        .map(ScriptedSmtpServer.Received::mailFrom)
        .findFirst()
        .orElseThrow();
  }

  /** The Message-ID field of the copy the scripted MX received for {@code rcpt}. */
  static String messageIdHeader(String rcpt) {
    String text =
        server(MAIN).messages().stream()
            .filter(m -> m.recipients().contains(rcpt))
            .findFirst()
            .orElseThrow()
            .text();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?im)^Message-ID:\\s*(<[^>]+>)").matcher(text);
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  /** A delivered message to {@code rcpt}; returns its id. */
  static String delivered(String from, String rcpt) {
    String id = send(from, List.of(rcpt));
    awaitStatus(id, rcpt, "delivered");
    return id;
  }

  @Test
  void everyRecipientGetsItsOwnSignedReturnPathInItsOwnTransaction() {
    String from = registerDomain();
    String to = recipientDomain();
    String a = "a@" + to;
    String b = "b@" + to;
    String id = send(from, List.of(a, b));
    awaitStatus(id, a, "delivered");
    awaitStatus(id, b, "delivered");
    String senderA = envelopeSender(a);
    String senderB = envelopeSender(b);
    assertThat(senderA).matches("b\\+[a-z2-7]+@" + RETURN_PATH.replace(".", "\\."));
    assertThat(senderB).matches("b\\+[a-z2-7]+@" + RETURN_PATH.replace(".", "\\."));
    assertThat(senderA).isNotEqualTo(senderB);
    List<ScriptedSmtpServer.Received> copies =
        server(MAIN).messages().stream()
            .filter(m -> m.recipients().contains(a) || m.recipients().contains(b))
            .toList();
    assertThat(copies).hasSize(2).allSatisfy(m -> assertThat(m.recipients()).hasSize(1));
    // one signed content for both: the DKIM signature is the message's, not the transaction's
    assertThat(copies.get(0).text()).isEqualTo(copies.get(1).text());
  }

  @Test
  void aFailedDsnToTheReturnPathBouncesTheDeliveredRecipientSuppressesItAndIsAnEvent()
      throws Exception {
    String from = registerDomain();
    String rcpt = "gone@" + recipientDomain();
    String id = delivered(from, rcpt);
    String verp = envelopeSender(rcpt);

    String reply =
        InboundWire.send(
            port(),
            "",
            verp,
            TestReports.dsn(
                verp, rcpt, "failed", "5.1.1", "550 5.1.1 <" + rcpt + ">: User unknown"));

    assertThat(reply).startsWith("250");
    Map<String, Object> r = recipient(id, rcpt);
    assertThat(r.get("status")).isEqualTo("bounced");
    assertThat(r.get("bounceCategory")).isEqualTo("invalid_recipient");
    Map<String, Object> bounced = events(id, "bounced").get(0);
    @SuppressWarnings("unchecked")
    Map<String, Object> dsn =
        (Map<String, Object>) ((Map<String, Object>) bounced.get("detail")).get("dsn");
    assertThat(dsn)
        .containsEntry("status", "5.1.1")
        .containsEntry("diagnosticCode", "550 5.1.1 <" + rcpt + ">: User unknown")
        .containsEntry("remoteMta", "store.remote.test");
    assertThat(events(id, "suppressed")).hasSize(1);
    admin()
        .get("/v1/suppressions/" + rcpt)
        .then()
        .statusCode(200)
        .body("items[0].reason", org.hamcrest.Matchers.equalTo("hard_bounce"))
        .body("items[0].domain", org.hamcrest.Matchers.equalTo(from));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                admin()
                        .queryParam("types", "message.bounced")
                        .queryParam("domain", from)
                        .get("/v1/events")
                        .then()
                        .statusCode(200)
                        .extract()
                        .<List<Object>>path("items")
                        .size()
                    == 1);
  }

  /** As between a server's 250 and the outcome's write: the attempt holds the row's lease. */
  void holdAsInFlight(String id) {
    Db.exec(
        pool,
        "update delivery set status = 'queued', lease_owner = 'an-attempt',"
            + " next_attempt_at = now() + interval '1 hour' where message_id = $1::uuid",
        id);
  }

  /** The attempt's outcome is written. */
  void recordDelivered(String id) {
    Db.exec(
        pool,
        "update delivery set status = 'delivered', lease_owner = null, next_attempt_at = null"
            + " where message_id = $1::uuid",
        id);
  }

  String sendUserUnknown(String verp, String rcpt) throws Exception {
    return InboundWire.send(
        port(),
        "",
        verp,
        TestReports.dsn(verp, rcpt, "failed", "5.1.1", "550 5.1.1 <" + rcpt + ">: User unknown"));
  }

  /** A delivered message to {@code localPart}, held as if its attempt were still in flight. */
  InFlight inFlight(String localPart) throws Exception {
    String rcpt = localPart + "@" + recipientDomain();
    String id = delivered(registerDomain(), rcpt);
    String verp = envelopeSender(rcpt);
    holdAsInFlight(id);
    return new InFlight(id, rcpt, verp);
  }

  record InFlight(String id, String rcpt, String verp) {}

  @Test
  void aDsnThatArrivesBeforeTheAttemptsOutcomeWaitsForItThenBounces() throws Exception {
    InFlight d = inFlight("early");
    CompletableFuture<String> reply =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return sendUserUnknown(d.verp(), d.rcpt());
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    Thread.sleep(1500);
    // the report waits: nothing is overwritten while the attempt is in flight
    assertThat(reply).isNotDone();
    assertThat(recipient(d.id(), d.rcpt()).get("status")).isEqualTo("queued");
    assertThat(events(d.id(), "bounced")).isEmpty();
    recordDelivered(d.id());
    assertThat(reply.get(20, TimeUnit.SECONDS)).startsWith("250");
    assertThat(recipient(d.id(), d.rcpt()).get("status")).isEqualTo("bounced");
    assertThat(events(d.id(), "bounced")).hasSize(1);
  }

  @Test
  void aDsnForAnAttemptThatStaysInFlightGets451AndChangesNothing() throws Exception {
    InFlight d = inFlight("stuck");
    assertThat(sendUserUnknown(d.verp(), d.rcpt())).startsWith("451");
    assertThat(recipient(d.id(), d.rcpt()).get("status")).isEqualTo("queued");
    assertThat(events(d.id(), "bounced")).isEmpty();
    recordDelivered(d.id());
  }

  @Test
  void aDelayedDsnIsADeferredEventAndChangesNothing() throws Exception {
    String from = registerDomain();
    String rcpt = "slow@" + recipientDomain();
    String id = delivered(from, rcpt);
    String verp = envelopeSender(rcpt);

    String reply =
        InboundWire.send(
            port(),
            "",
            verp,
            TestReports.dsn(verp, rcpt, "delayed", "4.2.2", "452 4.2.2 Mailbox full"));

    assertThat(reply).startsWith("250");
    assertThat(recipient(id, rcpt).get("status")).isEqualTo("delivered");
    assertThat(events(id, "deferred")).hasSize(1);
  }

  @Test
  void aDsnAboutAnotherRecipientIsIgnored() throws Exception {
    String from = registerDomain();
    String to = recipientDomain();
    String rcpt = "kept@" + to;
    String other = "victim@" + to;
    String id = send(from, List.of(rcpt, other));
    awaitStatus(id, rcpt, "delivered");
    awaitStatus(id, other, "delivered");
    String verp = envelopeSender(rcpt);

    String reply =
        InboundWire.send(
            port(),
            "",
            verp,
            TestReports.dsn(verp, other, "failed", "5.1.1", "550 5.1.1 User unknown"));

    assertThat(reply).startsWith("250");
    assertThat(recipient(id, rcpt).get("status")).isEqualTo("delivered");
    assertThat(recipient(id, other).get("status")).isEqualTo("delivered");
    admin().get("/v1/suppressions/" + other).then().statusCode(404);
  }

  @Test
  void aForgedOrAlteredTokenIsRefusedAtRcpt() throws Exception {
    String from = registerDomain();
    String rcpt = "forged@" + recipientDomain();
    String id = delivered(from, rcpt);
    String verp = envelopeSender(rcpt);
    String token = verp.substring(2, verp.indexOf('@'));
    char last = token.charAt(token.length() - 1);
    String altered =
        "b+"
            + token.substring(0, token.length() - 1)
            + (last == 'a' ? 'b' : 'a')
            + "@"
            + RETURN_PATH;

    try (InboundWire wire = InboundWire.open(port())) {
      assertThat(wire.command("MAIL FROM:<>")).startsWith("250");
      assertThat(wire.command("RCPT TO:<" + altered + ">")).startsWith("550 5.7.1");
      assertThat(wire.command("RCPT TO:<b+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@" + RETURN_PATH + ">"))
          .startsWith("550 5.7.1");
      assertThat(wire.command("RCPT TO:<b+@" + RETURN_PATH + ">")).startsWith("550 5.7.1");
      // the same token on a domain that is no return path is relaying
      assertThat(wire.command("RCPT TO:<b+" + token + "@" + uniqueDomain() + ">"))
          .startsWith("550 5.7.1");
      // the genuine one, upper case as some receivers fold it, is taken
      assertThat(wire.command("RCPT TO:<" + verp.toUpperCase() + ">")).startsWith("250");
    }
    assertThat(recipient(id, rcpt).get("status")).isEqualTo("delivered");
  }

  @Test
  void neverRelays() throws Exception {
    try (InboundWire wire = InboundWire.open(port())) {
      assertThat(wire.command("MAIL FROM:<spammer@remote.test>")).startsWith("250");
      assertThat(wire.command("RCPT TO:<victim@example.org>")).startsWith("550 5.7.1");
      assertThat(wire.command("RCPT TO:<postmaster@" + RETURN_PATH + ">")).startsWith("550 5.7.1");
      assertThat(wire.command("RCPT TO:<victim@example.org@" + RETURN_PATH + ">")).startsWith("5");
      assertThat(wire.command("DATA")).startsWith("554");
    }
  }

  @Test
  void hasNoAuthAndKeepsTheLimits() throws Exception {
    try (InboundWire wire = InboundWire.open(port())) {
      String ehlo = wire.command("EHLO mx.remote.test");
      assertThat(ehlo).contains("SIZE 100000").doesNotContain("AUTH");
      assertThat(wire.command("AUTH PLAIN AGZvbwBiYXI=")).startsWith("502");
      assertThat(wire.command("MAIL FROM:<> SIZE=200000")).startsWith("552");
    }
    String from = registerDomain();
    String to = recipientDomain();
    List<String> rcpts = List.of("l1@" + to, "l2@" + to, "l3@" + to, "l4@" + to);
    String id = send(from, rcpts);
    rcpts.forEach(r -> awaitStatus(id, r, "delivered"));
    try (InboundWire wire = InboundWire.open(port())) {
      wire.command("MAIL FROM:<>");
      for (int i = 0; i < 3; i++) {
        assertThat(wire.command("RCPT TO:<" + envelopeSender(rcpts.get(i)) + ">"))
            .startsWith("250");
      }
      assertThat(wire.command("RCPT TO:<" + envelopeSender(rcpts.get(3)) + ">")).startsWith("452");
    }
  }

  @Test
  void anAutoReplyIsAnEventAndNeverABounce() throws Exception {
    String from = registerDomain();
    String rcpt = "away@" + recipientDomain();
    String id = delivered(from, rcpt);
    String verp = envelopeSender(rcpt);

    assertThat(InboundWire.send(port(), "", verp, TestReports.autoReply(verp, rcpt)))
        .startsWith("250");

    assertThat(recipient(id, rcpt).get("status")).isEqualTo("delivered");
    assertThat(events(id, "auto_replied")).hasSize(1);
    admin().get("/v1/suppressions/" + rcpt).then().statusCode(404);
  }

  @Test
  void aTextBounceWithoutDsnIsClassifiedFromItsText() throws Exception {
    String from = registerDomain();
    String rcpt = "old@" + recipientDomain();
    String id = delivered(from, rcpt);
    String verp = envelopeSender(rcpt);

    assertThat(InboundWire.send(port(), "", verp, TestReports.textBounce(verp, rcpt)))
        .startsWith("250");

    Map<String, Object> r = recipient(id, rcpt);
    assertThat(r.get("status")).isEqualTo("bounced");
    assertThat(r.get("bounceCategory")).isEqualTo("invalid_recipient");
  }

  @Test
  void aComplaintToTheFeedbackAddressIsAnEventAndAComplaintSuppression() throws Exception {
    String from = registerDomain();
    String rcpt = "angry@" + recipientDomain();
    String id = delivered(from, rcpt);
    String verp = envelopeSender(rcpt);

    assertThat(
            InboundWire.send(
                port(),
                "fbl@isp.remote.test",
                FEEDBACK,
                TestReports.arf(FEEDBACK, verp, rcpt, "<unknown@elsewhere.test>")))
        .startsWith("250");

    assertThat(events(id, "complained")).hasSize(1);
    assertThat(recipient(id, rcpt).get("status")).isEqualTo("delivered");
    admin()
        .get("/v1/suppressions/" + rcpt)
        .then()
        .statusCode(200)
        .body("items[0].reason", org.hamcrest.Matchers.equalTo("complaint"))
        .body("items[0].domain", org.hamcrest.Matchers.equalTo(from));
  }

  @Test
  void aComplaintFoundByItsMessageIdWhenTheReportHasNoEnvelopeSender() throws Exception {
    String from = registerDomain();
    String rcpt = "angry2@" + recipientDomain();
    String id = delivered(from, rcpt);
    String messageId = messageIdHeader(rcpt);

    assertThat(
            InboundWire.send(
                port(),
                "fbl@isp.remote.test",
                FEEDBACK,
                TestReports.arf(FEEDBACK, null, rcpt, messageId)))
        .startsWith("250");

    assertThat(events(id, "complained")).hasSize(1);
  }

  @Test
  void aDomainsOwnReturnPathIsUsedAndAcceptedAndMustBeItsSubdomain() throws Exception {
    String name = uniqueDomain();
    admin()
        .body(Map.of("name", name, "returnPath", "mail.other.example"))
        .post("/v1/domains")
        .then()
        .statusCode(422);
    String own = "rp." + name;
    admin()
        .body(Map.of("name", name, "returnPath", own))
        .post("/v1/domains")
        .then()
        .statusCode(201)
        .body("returnPath", org.hamcrest.Matchers.equalTo(own))
        .body(
            "dnsRecords.findAll { it.purpose == 'return-path' }.type",
            org.hamcrest.Matchers.hasItems("MX", "TXT"));
    String rcpt = "x@" + recipientDomain();
    String id = delivered(name, rcpt);
    String verp = envelopeSender(rcpt);
    assertThat(verp).endsWith("@" + own);

    assertThat(
            InboundWire.send(
                port(),
                "",
                verp,
                TestReports.dsn(verp, rcpt, "failed", "5.2.1", "550 5.2.1 Account disabled")))
        .startsWith("250");
    assertThat(recipient(id, rcpt).get("status")).isEqualTo("bounced");
  }

  @SuppressWarnings("unchecked")
  static List<String> mxFindings(String domain) {
    List<Map<String, Object>> checks =
        admin()
            .post("/v1/domains/" + domain + "/audit")
            .then()
            .statusCode(200)
            .extract()
            .path("checks");
    Map<String, Object> mx =
        checks.stream().filter(c -> "mx".equals(c.get("name"))).findFirst().orElseThrow();
    return ((List<Map<String, Object>>) mx.get("findings"))
        .stream().map(f -> (String) f.get("code")).toList();
  }

  @Test
  void theAuditFindsAReturnPathWhoseMxDoesNotReachTheListener() {
    String good = uniqueDomain();
    String bad = uniqueDomain();
    for (String d : List.of(good, bad)) {
      admin()
          .body(Map.of("name", d, "returnPath", "rp." + d))
          .post("/v1/domains")
          .then()
          .statusCode(201);
    }
    dns.mx("rp." + good, 10, "inbound.postwire.test");
    dns.mx("rp." + bad, 10, "mx.elsewhere.test");

    assertThat(mxFindings(good)).doesNotContain("return_path_mx");
    assertThat(mxFindings(bad)).contains("return_path_mx");
  }
}

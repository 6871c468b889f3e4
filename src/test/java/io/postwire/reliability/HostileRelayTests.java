package io.postwire.reliability;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.Db;
import io.postwire.testing.ScriptedRelayResource;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A relay whose replies the database cannot store as they are: what such a reply costs is that
 * recipient's outcome alone. Nothing delivered is sent again because a neighbour's outcome was
 * refused (a transaction whose outcome is not written is sent again once its lease expires).
 */
@QuarkusTest
@TestProfile(HostileRelayTests.Relay.class)
class HostileRelayTests {

  /** Relay to a scripted server with a 2 s lease. */
  public static class Relay implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(ScriptedRelayResource.class));
    }
  }

  @Inject Pool pool;

  static ScriptedSmtpServer relay() {
    return ScriptedRelayResource.server;
  }

  static String unique(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
  }

  static long received(String recipient) {
    return relay().messages().stream().filter(m -> m.recipients().contains(recipient)).count();
  }

  static String send(String domain, String... to) {
    return admin()
        .body(Map.of("from", "a@" + domain, "to", List.of(to), "text", "x"))
        .post("/v1/messages")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  static JsonPath view(String id) {
    return admin().get("/v1/messages/" + id).then().statusCode(200).extract().jsonPath();
  }

  static String status(String id, String recipient) {
    return view(id).getString("recipients.find { it.address == '" + recipient + "' }.status");
  }

  /** Two lease periods with no new copy of any delivered message. */
  static void assertSentOnce(String... recipients) {
    await()
        .during(Duration.ofSeconds(5))
        .atMost(Duration.ofSeconds(8))
        .until(() -> List.of(recipients).stream().allMatch(r -> received(r) == 1));
  }

  @Test
  void aNulInARcptReplyIsStoredSanitizedAndNoNeighbourIsSentTwice() {
    String domain = registerDomain();
    String nul = unique("nul");
    String sameMessage = unique("same");
    String other = unique("other");
    relay().rcpt(nul, "550 5.1.1 no such\0user");

    String first = send(domain, nul, sameMessage);
    String second = send(domain, other);

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(status(first, nul)).isEqualTo("bounced");
              assertThat(status(first, sameMessage)).isEqualTo("delivered");
              assertThat(status(second, other)).isEqualTo("delivered");
            });
    JsonPath view = view(first);
    String recipient = "recipients.find { it.address == '" + nul + "' }";
    assertThat(view.getInt(recipient + ".lastResponse.code")).isEqualTo(550);
    assertThat(view.getString(recipient + ".lastResponse.enhancedCode")).isEqualTo("5.1.1");
    assertThat(view.getString(recipient + ".lastResponse.text")).isEqualTo("no such user");
    assertThat(
            view.getString(
                "events.find { it.type == 'bounced' && it.recipient == '"
                    + nul
                    + "' }.detail.text"))
        .isEqualTo("no such user");
    assertSentOnce(sameMessage, other);
  }

  /**
   * A trigger makes the database refuse one transaction's events, and holds an earlier write (on an
   * advisory lock the test owns) until the refused transaction and a good one have both been
   * through SMTP, so that their outcomes are written in the same statement.
   */
  @Test
  void anOutcomeTheDatabaseRefusesFailsAloneAndItsBatchNeighbourIsSentOnce() {
    Db.exec(
        pool,
        "create or replace function refuse_for_test() returns trigger language plpgsql as $$"
            + " begin"
            + " if new.detail::text like '%hold-the-writer%' then"
            + " perform pg_advisory_lock_shared(4242); perform pg_advisory_unlock_shared(4242);"
            + " end if;"
            + " if new.detail::text like '%refuse-this-row%' then"
            + " raise exception 'refused for the test' using errcode = '22023'; end if;"
            + " return new; end $$");
    Db.exec(
        pool,
        "create trigger refuse_for_test before insert on event for each row"
            + " execute function refuse_for_test()");
    SqlConnection holder = pool.getConnection().await().atMost(Duration.ofSeconds(10));
    try {
      holder
          .query("select pg_advisory_lock(4242)")
          .execute()
          .await()
          .atMost(Duration.ofSeconds(10));
      String domain = registerDomain();
      String slow = unique("slow");
      String refused = unique("refused");
      String good = unique("good");
      relay().rcpt(slow, "550 5.1.1 hold-the-writer").rcpt(refused, "550 5.1.1 refuse-this-row");

      String holding = send(domain, slow);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> relay().commands().contains("RCPT TO:<" + slow + ">"));
      String bad = send(domain, refused);
      String neighbour = send(domain, good);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  received(good) == 1 && relay().commands().contains("RCPT TO:<" + refused + ">"));
      holder
          .query("select pg_advisory_unlock(4242)")
          .execute()
          .await()
          .atMost(Duration.ofSeconds(10));

      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                assertThat(status(holding, slow)).isEqualTo("bounced");
                assertThat(status(neighbour, good)).isEqualTo("delivered");
              });
      assertSentOnce(good);
      assertThat(status(bad, refused)).isIn("queued", "deferred");
    } finally {
      holder.close().await().atMost(Duration.ofSeconds(10));
      Db.exec(pool, "drop trigger if exists refuse_for_test on event");
      Db.exec(pool, "drop function if exists refuse_for_test()");
    }
  }
}

package io.postwire.delivery;

import static io.postwire.delivery.MxDeliveryResource.BACKUP;
import static io.postwire.delivery.MxDeliveryResource.MAIN;
import static io.postwire.delivery.MxDeliveryResource.dns;
import static io.postwire.delivery.MxDeliveryResource.server;
import static io.postwire.delivery.MxDeliveryTests.awaitStatus;
import static io.postwire.delivery.MxDeliveryTests.lastResponse;
import static io.postwire.delivery.MxDeliveryTests.receivedBy;
import static io.postwire.delivery.MxDeliveryTests.recipientDomain;
import static io.postwire.delivery.MxDeliveryTests.send;
import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The egress policy in MX mode: the allow list holds 127.0.0.1 only, so the scripted MX host on
 * 127.0.0.2 stands for an address inside the operator's network that a tenant's DNS points at.
 */
@QuarkusTest
@TestProfile(EgressPolicyTests.OnlyMain.class)
class EgressPolicyTests {

  /** The MX test peers, with {@code postwire.egress.allow=127.0.0.1/32}. */
  public static class OnlyMain implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(MxDeliveryResource.class));
    }

    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("postwire.egress.allow", "127.0.0.1/32");
    }
  }

  @Inject Pool pool;

  @AfterEach
  void finishWhatIsLeft() {
    if (!MxDeliveryTests.sent.isEmpty()) {
      Db.exec(
          pool,
          """
          update delivery set status = 'failed', next_attempt_at = null, lease_owner = null
          where status in ('queued', 'deferred')
          and message_id::text = any(string_to_array($1, ','))""",
          String.join(",", MxDeliveryTests.sent));
      MxDeliveryTests.sent.clear();
    }
  }

  @Test
  void bouncesARecipientWhoseEveryMxAddressIsRefusedWithoutConnecting() {
    String from = registerDomain();
    String to = recipientDomain();
    dns.mx(to, 10, "mx." + to).a("mx." + to, BACKUP);
    dns.mx(to, 20, "mx2." + to).a("mx2." + to, BACKUP);
    String rcpt = "inside@" + to;
    String id = send(from, List.of(rcpt), Map.of());
    Map<String, Object> r = awaitStatus(id, rcpt, "bounced");
    assertThat(r.get("bounceCategory")).isEqualTo("bad_domain");
    assertThat(lastResponse(r).get("text")).isEqualTo("destination not allowed by egress policy");
    assertThat(server(BACKUP).connectionsAccepted()).isZero();
    // nothing about the refused address reaches the API: not in the recipient, not in events
    String document = admin().get("/v1/messages/" + id).then().statusCode(200).extract().asString();
    assertThat(document).doesNotContain(BACKUP).doesNotContain("mx." + to);
    // the operator's policy says nothing about the address: it is not suppressed
    admin().get("/v1/suppressions/" + rcpt).then().statusCode(404);
  }

  @Test
  void skipsRefusedAddressesAndDeliversToAnAllowedMx() {
    String from = registerDomain();
    String to = recipientDomain();
    dns.mx(to, 10, "inside." + to).a("inside." + to, BACKUP);
    dns.mx(to, 20, "outside." + to).a("outside." + to, MAIN);
    String rcpt = "mixed@" + to;
    String id = send(from, List.of(rcpt), Map.of());
    Map<String, Object> r = awaitStatus(id, rcpt, "delivered");
    assertThat(lastResponse(r).get("host")).isEqualTo("outside." + to);
    assertThat(receivedBy(MAIN, rcpt)).isEqualTo(1);
    assertThat(server(BACKUP).connectionsAccepted()).isZero();
  }

  @Test
  void aHostWithoutAnAddressStillDefersWhenTheOthersAreRefused() {
    String from = registerDomain();
    String to = recipientDomain();
    dns.mx(to, 10, "inside." + to).a("inside." + to, BACKUP);
    dns.mx(to, 20, "ghost." + to);
    String rcpt = "later@" + to;
    String id = send(from, List.of(rcpt), Map.of());
    awaitStatus(id, rcpt, "deferred");
    assertThat(server(BACKUP).connectionsAccepted()).isZero();
  }
}

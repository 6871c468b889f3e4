package io.postwire.delivery;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.dns.NsdServer;
import io.postwire.testing.smtp.PostfixServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * MX mode against real peers: NSD serves the recipient domain's MX, Postfix receives the message
 * (RFC 5321 §5.1 routing through our resolver, then one real SMTP transaction).
 */
@Tag("peers")
@QuarkusTest
@TestProfile(PostfixPeerTests.Peers.class)
class PostfixPeerTests {

  static final String DOMAIN = "peer.example.net";

  /** NSD and Postfix as the resolver and the MX host. */
  public static class Peers implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(Resource.class));
    }
  }

  /** Starts NSD with the zone and Postfix on loopback. */
  public static class Resource implements QuarkusTestResourceLifecycleManager {
    static volatile NsdServer nsd;
    static volatile PostfixServer postfix;

    @Override
    public Map<String, String> start() {
      postfix = PostfixServer.start(DOMAIN);
      nsd =
          NsdServer.start(
              Map.of(
                  DOMAIN,
                  "$TTL 300\n"
                      + "@ SOA ns.peer.example.net. hostmaster.peer.example.net. 1 3600 600 86400 60\n"
                      + "@ NS ns\n"
                      + "ns A 127.0.0.1\n"
                      + "@ IN MX 10 mx1\n"
                      + "@ IN MX 20 mx2\n"
                      + "mx1 IN A 127.0.0.3\n"
                      + "mx2 IN A 127.0.0.1\n"));
      return Map.of(
          "postwire.delivery.mode", "mx",
          "postwire.delivery.smtp-port", Integer.toString(postfix.port()),
          "postwire.dns.servers", "127.0.0.1:" + nsd.port(),
          "postwire.delivery.retry.initial", "1s",
          "postwire.delivery.command-timeout", "5s",
          "postwire.delivery.poll-interval", "300ms",
          "postwire.delivery.mta-sts.enabled", "false");
    }

    @Override
    public void stop() {
      if (nsd != null) {
        nsd.close();
      }
      if (postfix != null) {
        postfix.close();
      }
    }
  }

  @Test
  void deliversToPostfixThroughTheMxNsdServes() {
    String from = registerDomain();
    String id =
        admin()
            .body(
                Map.of(
                    "from",
                    "sender@" + from,
                    "to",
                    List.of("bob@" + DOMAIN),
                    "subject",
                    "to postfix",
                    "text",
                    "hello postfix"))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    // mx1 (127.0.0.3) refuses the connection; mx2 is Postfix
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                "delivered"
                    .equals(
                        admin()
                            .get("/v1/messages/" + id)
                            .then()
                            .extract()
                            .path("recipients[0].status")));
    List<String> queue = Resource.postfix.queue();
    assertThat(queue)
        .as("postfix queue; log:\n%s", Resource.postfix.log())
        .anySatisfy(
            json -> {
              assertThat(json).contains("\"bob@" + DOMAIN + "\"");
              assertThat(json).contains("\"sender\": \"sender@" + from + "\"");
            });
    String host =
        admin().get("/v1/messages/" + id).then().extract().path("recipients[0].lastResponse.host");
    assertThat(host).isEqualTo("mx2." + DOMAIN);
  }
}

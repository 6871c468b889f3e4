package io.postwire.webhook;

import static io.postwire.testing.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With the sequencer's and the sender's polls an hour apart, an event still reaches its webhook at
 * once: the enqueue's commit signal wakes the sequencer, and its numbering signals the senders.
 */
@QuarkusTest
@TestProfile(WebhookWakeTests.SlowPolls.class)
class WebhookWakeTests {

  /** Polls too slow to matter: only the signals can move an event. */
  public static class SlowPolls implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "postwire.events.sequence-interval", "1h", "postwire.webhooks.poll-interval", "1h");
    }
  }

  @Test
  void aQueuedEventIsSentWithoutWaitingForAPoll() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      String domain = Api.registerDomain();
      admin()
          .body(
              Map.of(
                  "url",
                  receiver.url("/wake"),
                  "events",
                  List.of("message.queued"),
                  "domains",
                  List.of(domain)))
          .post("/v1/webhooks")
          .then()
          .statusCode(201);
      Api.send(Api.message(domain, "wake@example.org")).then().statusCode(202);
      await().atMost(Duration.ofSeconds(5)).until(() -> receiver.calls("/wake").size() == 1);
      assertThat(receiver.calls("/wake").get(0).json().getString("type"))
          .isEqualTo("message.queued");
    }
  }
}

package io.postwire.delivery;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.ScriptedRelayResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Wake-ups are the pipeline's only trigger when the safety poll is an hour away: a wake that
 * arrives while every slot is busy must still lead to a claim once a slot frees.
 */
@QuarkusTest
@TestProfile(WakeUpTests.BusySlots.class)
class WakeUpTests {

  /** A slow relay, two slots, and a poll that never comes during the test. */
  public static class BusySlots implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(Resource.class));
    }
  }

  /** The scripted relay with the poll at one hour and two delivery slots. */
  public static class Resource extends ScriptedRelayResource {
    @Override
    public Map<String, String> start() {
      Map<String, String> config = new HashMap<>(super.start());
      config.put("postwire.delivery.poll-interval", "1h");
      config.put("postwire.delivery.concurrency", "2");
      config.put("postwire.delivery.lease", "60s");
      return config;
    }
  }

  @Test
  void completionsKeepTheQueueMovingWithoutThePoll() {
    ScriptedRelayResource.server.slowDataEnd(Duration.ofMillis(300));
    String domain = registerDomain();
    for (int i = 0; i < 12; i++) {
      admin()
          .body(Map.of("from", "a@" + domain, "to", List.of("w" + i + "@example.org"), "text", "x"))
          .post("/v1/messages")
          .then()
          .statusCode(202);
    }
    // 12 messages, 2 at a time, 0.3 s each: about 2 s when every completion wakes the pipeline
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> ScriptedRelayResource.server.messages().size() == 12);
  }
}

package io.postwire.check;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.postwire.testing.Ports;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A configured spamd that does not answer: the check still answers, without spam and saying why.
 */
@QuarkusTest
@TestProfile(SpamdUnavailableTests.NoSpamd.class)
class SpamdUnavailableTests {

  /** {@code postwire.check.spamd} names a loopback port nothing listens on. */
  public static class NoSpamd implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("postwire.check.spamd", "127.0.0.1:" + Ports.free());
    }
  }

  @Test
  void anUnreachableSpamdIsAFindingNotAFailure() {
    String domain = registerDomain();
    admin()
        .body(
            Map.of(
                "from",
                "orders@" + domain,
                "to",
                List.of("bob@example.org"),
                "subject",
                "Hello",
                "text",
                "Your order has shipped."))
        .post("/v1/messages/check")
        .then()
        .statusCode(200)
        .body("spam", equalTo(null))
        .body("findings.code", hasItem("spam_check_unavailable"))
        .body("findings.find { it.code == 'spam_check_unavailable' }.severity", equalTo("info"));
  }
}

package io.postwire.check;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The pre-send check with a real spamd: GTUBE is spam with its rule named and described, a plain
 * message is not, and every rule that fired comes back with its score and description.
 */
@Tag("peers")
@QuarkusTest
@TestProfile(SpamdPeersTests.RealSpamd.class)
class SpamdPeersTests {

  /** The service with a real spamd ({@link SpamdPeer}). */
  public static class RealSpamd implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(SpamdPeer.class));
    }
  }

  /** The Generic Test for Unsolicited Bulk Email: every SpamAssassin scores it 1000. */
  static final String GTUBE =
      "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

  static Response check(String domain, String text) {
    return admin()
        .body(
            Map.of(
                "from",
                "Shop <orders@" + domain + ">",
                "to",
                List.of("bob@example.org"),
                "subject",
                "Your order 4711",
                "text",
                text))
        .post("/v1/messages/check");
  }

  @Test
  void gtubeIsSpamAndItsRuleComesBackWithItsDescription() {
    String domain = registerDomain();
    Response report = check(domain, "Hello Bob,\n\n" + GTUBE + "\n");
    report
        .then()
        .statusCode(200)
        .body("spam.engine", equalTo("spamassassin"))
        .body("spam.flagged", equalTo(true))
        .body("spam.threshold", equalTo(5.0f))
        .body("grade", equalTo("F"));
    assertThat(report.jsonPath().getDouble("spam.score")).isGreaterThanOrEqualTo(1000);
    List<Map<String, Object>> rules = report.jsonPath().getList("spam.rules");
    assertThat(rules)
        .anySatisfy(
            r -> {
              assertThat(r.get("name")).isEqualTo("GTUBE");
              assertThat(((Number) r.get("score")).doubleValue()).isEqualTo(1000);
              assertThat((String) r.get("description"))
                  .contains("Generic Test for Unsolicited Bulk Email");
            });
    assertThat(report.jsonPath().getList("findings.code", String.class))
        .contains("spam_score_high");
  }

  @Test
  void aPlainMessageIsNotSpamAndItsRulesHaveDescriptions() {
    String domain = registerDomain();
    Response report =
        check(
            domain,
            "Hello Bob,\n\nyour order 4711 has shipped and should arrive on Tuesday.\n\n"
                + "Thanks for shopping with us.\n");
    report.then().statusCode(200).body("spam.flagged", equalTo(false));
    assertThat(report.jsonPath().getDouble("spam.score"))
        .isLessThan(report.jsonPath().getDouble("spam.threshold"));
    List<Map<String, Object>> rules = report.jsonPath().getList("spam.rules");
    assertThat(rules).isNotEmpty();
    assertThat(rules)
        .allSatisfy(
            r -> {
              assertThat((String) r.get("name")).matches("[A-Z0-9_]+");
              assertThat((String) r.get("description")).isNotBlank();
            });
    assertThat(report.jsonPath().getList("findings.code", String.class))
        .doesNotContain("spam_score_high", "spam_check_unavailable");
  }
}

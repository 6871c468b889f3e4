package io.postwire.platform;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.awaitility.Awaitility;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;

@QuarkusTest
class HealthTests {

  @Inject Pool pool;

  /**
   * The test profile's DNS server, 127.0.0.1:5353, has nobody listening here: every lookup fails
   * temporarily, which says nothing about the domain's records (API.md "clarifications").
   */
  @Test
  void anUnreachableDnsServerMakesEveryCheckUnknown_andWellnessStaysUp() {
    String domain = Api.registerDomain();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Db.count(pool, "select count(*) from domain_audit where domain = $1", domain) > 0);
    JsonPath audit =
        Api.admin()
            .get("/v1/domains/" + domain + "/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    Assertions.assertThat(audit.getList("checks.name"))
        .containsExactly("spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt");
    Assertions.assertThat(audit.getList("checks.status"))
        .as(audit.prettify())
        .containsOnly("unknown");
    for (List<String> codes : audit.<List<String>>getList("checks.findings.code")) {
      Assertions.assertThat(codes).containsExactly("dns_temporary_failure");
    }
    Assertions.assertThat(audit.getString("status")).isEqualTo("unknown");
    // every domain of this profile resolves through the same absent server: none fails
    given().get("/q/health/well").then().statusCode(200).body("status", equalTo("UP"));
    given()
        .get("/q/health/group/dns-auth")
        .then()
        .statusCode(200)
        .body(
            "checks.find { it.name == 'dns-authentication' }.data.'" + domain + "'",
            equalTo("unknown"));
  }

  @Test
  void readinessIsUpWithDatabaseAndPipeline() {
    given()
        .get("/q/health/ready")
        .then()
        .statusCode(200)
        .body("status", equalTo("UP"))
        .body("checks.name", hasItem("database"))
        .body("checks.name", hasItem("delivery-pipeline"));
  }

  @Test
  void livenessAndStartedAreUp() {
    given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    given().get("/q/health/started").then().statusCode(200);
  }

  @Test
  void metricsCarryTheNamesOfApiMd() {
    String domain = Api.registerDomain();
    String id =
        Api.send(Api.message(domain, "m@example.org")).then().statusCode(202).extract().path("id");
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                "delivered"
                    .equals(Api.admin().get("/v1/messages/" + id).then().extract().path("status")));
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    Assertions.assertThat(metrics)
        .contains("postwire_messages_accepted_total")
        .contains("postwire_deliveries_total{outcome=\"delivered\"")
        .contains("postwire_queue_depth{state=\"due\"")
        .contains("postwire_queue_depth{state=\"leased\"")
        .contains("postwire_delivery_duration_seconds_bucket")
        .contains("postwire_dkim_sign_duration_seconds");
  }

  @Test
  void metricsAndOpenApiAreServed() {
    given().get("/q/metrics").then().statusCode(200);
    given()
        .get("/q/openapi?format=json")
        .then()
        .statusCode(200)
        .body("paths", Matchers.hasKey("/v1/messages"));
  }
}

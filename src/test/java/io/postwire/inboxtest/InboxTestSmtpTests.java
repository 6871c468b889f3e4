package io.postwire.inboxtest;

import static io.postwire.testing.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.Api;
import io.postwire.testing.dns.TestDnsServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Inbox tests end to end over SMTP: Postwire delivers over MX to the inbox-test address on its own
 * inbound listener, and once the sending domain's records are published the report passes
 * everywhere.
 */
@QuarkusTest
@TestProfile(InboxTestSmtpProfile.class)
class InboxTestSmtpTests {

  TestDnsServer dns;

  @Test
  void mailPostwireSendsToTheTestAddressPassesSpfDkimAndDmarcOnceDnsIsPublished() {
    String domain = Api.registerDomain();
    List<Map<String, Object>> records =
        admin().get("/v1/domains/" + domain).then().statusCode(200).extract().path("dnsRecords");
    for (Map<String, Object> r : records) {
      if ("TXT".equals(r.get("type"))) {
        dns.longTxt((String) r.get("name"), (String) r.get("value"));
      }
    }
    JsonPath created = admin().post("/v1/inbox-tests").then().statusCode(201).extract().jsonPath();
    String address = created.getString("address");
    Api.send(
            Map.of(
                "from", "Alice <alice@" + domain + ">",
                "to", List.of(address),
                "subject", "How do I look?",
                "text", "Hello,\nthis is how our mail looks.\n",
                "html", "<p>Hello,</p><p>this is how our mail looks.</p>"))
        .then()
        .statusCode(202);
    String id = created.getString("id");
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () ->
                "received"
                    .equals(admin().get("/v1/inbox-tests/" + id).then().extract().path("status")));
    JsonPath shown =
        admin().get("/v1/inbox-tests/" + id).then().statusCode(200).extract().jsonPath();
    // VERP: the envelope sender is on the inbound domain, whose SPF names this host.
    assertThat(shown.getMap("report.spf"))
        .containsEntry("result", "pass")
        .containsEntry("domain", InboxTestSmtpProfile.INBOUND_DOMAIN);
    assertThat(shown.getList("report.dkim.result", String.class)).isNotEmpty().containsOnly("pass");
    assertThat(shown.getList("report.dkim.domain", String.class)).containsOnly(domain);
    assertThat(shown.getString("report.dmarc.result")).isEqualTo("pass");
    assertThat(shown.getString("report.dmarc.policy")).isEqualTo("quarantine");
    assertThat(shown.getMap("report.dmarc.alignment")).containsEntry("dkim", true);
    assertThat(shown.getList("report.findings.severity", String.class)).doesNotContain("error");
    // the session was upgraded with STARTTLS, and the report names what was negotiated
    assertThat(shown.getString("report.tls.protocol")).startsWith("TLSv1.");
    assertThat(shown.getString("report.tls.cipher")).startsWith("TLS_");
  }
}

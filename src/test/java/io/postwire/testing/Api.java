package io.postwire.testing;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Small helpers for calling the API in tests. */
public final class Api {

  /** The test profile's bootstrap admin key. */
  public static final String ADMIN = "pw_test_bootstrap_key";

  private Api() {}

  public static RequestSpecification as(String key) {
    return given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON);
  }

  public static RequestSpecification admin() {
    return as(ADMIN);
  }

  /** A fresh domain name, so test classes sharing the database never collide. */
  public static String uniqueDomain() {
    return "d" + UUID.randomUUID().toString().substring(0, 8) + ".example.com";
  }

  /** Registers a domain with the admin key and returns its name. */
  public static String registerDomain() {
    String name = uniqueDomain();
    admin().body(Map.of("name", name)).post("/v1/domains").then().statusCode(201);
    return name;
  }

  /** Creates a key scoped to the given domains and returns its secret. */
  public static String scopedKey(String... domains) {
    return admin()
        .body(Map.of("name", "scoped", "domains", List.of(domains)))
        .post("/v1/api-keys")
        .then()
        .statusCode(201)
        .extract()
        .path("key");
  }

  /** A minimal valid message from {@code domain}. */
  public static Map<String, Object> message(String domain, String to) {
    return Map.of(
        "from",
        "Sender <sender@" + domain + ">",
        "to",
        List.of(to),
        "subject",
        "Hello",
        "text",
        "plain body");
  }

  /**
   * Queues a message from {@code a@domain} to {@code to}, held an hour ahead so no pipeline takes
   * it before the test does; returns its id.
   */
  public static String queueHeld(String domain, List<String> to) {
    return admin()
        .body(
            Map.of(
                "from",
                "a@" + domain,
                "to",
                to,
                "text",
                "x",
                "sendAt",
                Instant.now().plus(Duration.ofHours(1)).toString()))
        .post("/v1/messages")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  /** The body of {@code POST /v1/messages/raw} for an RFC 5322 text (LF line ends are fine). */
  public static Map<String, Object> rawMessage(String mailFrom, String rcptTo, String rfc5322) {
    return Map.of(
        "mailFrom",
        mailFrom,
        "rcptTo",
        List.of(rcptTo),
        "raw",
        Base64.getEncoder().encodeToString(rfc5322.getBytes(StandardCharsets.UTF_8)));
  }

  public static Response send(Object body) {
    return admin().body(body).post("/v1/messages");
  }
}

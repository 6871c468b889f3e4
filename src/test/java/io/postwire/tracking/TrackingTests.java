package io.postwire.tracking;

import static io.postwire.testing.Api.admin;
import static io.postwire.tracking.TrackingFixtures.BASE;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.postwire.testing.GreenMailResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;

/**
 * Open and click tracking end to end: a tracked send delivered to an SMTP server, its links
 * followed, its pixel fetched, and the events in {@code GET /v1/events} and the message document.
 */
@QuarkusTest
@TestProfile(TrackingTests.Tracked.class)
class TrackingTests {

  /** Relay to GreenMail, a public URL, and a machine window wide enough to reach in a test. */
  public static class Tracked implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("postwire.public-url", BASE + "/", "postwire.tracking.machine-window", "60s");
    }

    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(GreenMailResource.class));
    }
  }

  static final String BROWSER =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
  static final String GMAIL_PROXY =
      "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";

  @Inject Pool pool;
  @Inject TrackingTokens tokens;

  private static Map<String, Object> tracked(String domain, List<String> to, String html) {
    return Map.of(
        "from",
        "News <news@" + domain + ">",
        "to",
        to,
        "subject",
        "Tracked",
        "text",
        "plain https://example.com/plain\n",
        "html",
        html,
        "headers",
        Map.of("List-Unsubscribe", "<https://example.com/unsub-header>"),
        "track",
        Map.of("opens", true, "clicks", true));
  }

  private static MimeMessage receivedBy(String address) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                Arrays.stream(GreenMailResource.greenMail.getReceivedMessages())
                    .filter(m -> recipients(m).contains(address))
                    .findFirst()
                    .orElse(null),
            m -> m != null);
  }

  private static String recipients(MimeMessage m) {
    try {
      return String.valueOf(m.getHeader("To", ","));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void deliveredLongAgo(String id) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                Db.count(
                        pool,
                        "select count(*) from delivery where message_id = $1::uuid and status ="
                            + " 'delivered'",
                        id)
                    > 0);
    Db.exec(
        pool,
        "update delivery set last_attempt_at = now() - interval '1 hour' where message_id ="
            + " $1::uuid",
        id);
  }

  private static Response get(String url, String userAgent) {
    assertThat(url).startsWith(BASE + "/t/");
    return given()
        .redirects()
        .follow(false)
        .header("User-Agent", userAgent)
        .get(url.substring(BASE.length()));
  }

  private static List<Map<String, Object>> events(String domain, int atLeast) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                admin()
                    .get(
                        "/v1/events?limit=500&types=message.opened,message.clicked&domain="
                            + domain)
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath()
                    .<Map<String, Object>>getList("items"),
            items -> items.size() >= atLeast);
  }

  @Test
  void trackedLinksInTheDeliveredMessageRedirectToExactlyTheirUrlsAndBecomeEvents()
      throws Exception {
    String domain = Api.registerDomain();
    String rcpt = "reader@" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
    String id =
        Api.send(tracked(domain, List.of(rcpt), TrackingFixtures.HTML))
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    MimeMessage received = receivedBy(rcpt);
    Multipart alternative = (Multipart) received.getContent();
    BodyPart text = alternative.getBodyPart(0);
    assertThat((String) text.getContent()).isEqualTo("plain https://example.com/plain\r\n");
    BodyPart htmlPart = alternative.getBodyPart(1);
    assertThat(htmlPart.getContentType()).startsWith("text/html; charset=UTF-8");
    Document html = Jsoup.parse((String) htmlPart.getContent());
    deliveredLongAgo(id);

    List<String> followed = new ArrayList<>();
    List<String> untouched = new ArrayList<>();
    for (Element link : html.select("a[href], area[href]")) {
      String href = link.attr("href");
      if (!href.startsWith(BASE + "/t/c/")) {
        untouched.add(href);
        continue;
      }
      Response answer = get(href, BROWSER);
      assertThat(answer.statusCode()).isEqualTo(302);
      assertThat(answer.header("Cache-Control")).contains("no-store");
      followed.add(answer.header("Location"));
    }
    assertThat(followed).containsExactlyElementsOf(TrackingFixtures.TRACKED);
    assertThat(untouched).containsExactlyElementsOf(TrackingFixtures.UNTOUCHED);
    assertThat(html.select("[data-postwire-notrack]")).isEmpty();

    String pixel = html.selectFirst("img[src^=" + BASE + "/t/o/]").attr("src");
    Response open = get(pixel, BROWSER);
    assertThat(open.statusCode()).isEqualTo(200);
    assertThat(open.contentType()).isEqualTo("image/gif");
    assertThat(open.header("Cache-Control")).contains("no-store");
    byte[] gif = open.asByteArray();
    assertThat(gif).isEqualTo(TrackingResource.PIXEL);
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(gif));
    assertThat(image.getWidth()).isEqualTo(1);
    assertThat(image.getHeight()).isEqualTo(1);
    // the same pixel through Gmail's image proxy, and the first link as scanners see it
    assertThat(get(pixel, GMAIL_PROXY).statusCode()).isEqualTo(200);
    String first = html.selectFirst("a[href^=" + BASE + "/t/c/]").attr("href");
    Response head =
        given()
            .redirects()
            .follow(false)
            .header("User-Agent", BROWSER)
            .head(first.substring(BASE.length()));
    assertThat(head.statusCode()).isEqualTo(302);
    assertThat(head.header("Location")).isEqualTo(TrackingFixtures.TRACKED.get(0));
    assertThat(get(first, "Mozilla/5.0 (compatible; Barracuda Sentinel)").statusCode())
        .isEqualTo(302);

    int expected = TrackingFixtures.TRACKED.size() + 2 + 2;
    List<Map<String, Object>> events = events(domain, expected);
    assertThat(events).hasSize(expected);
    assertThat(events)
        .allSatisfy(
            e -> assertThat(e).containsEntry("recipient", rcpt).containsEntry("messageId", id));
    List<String> humanClicks = new ArrayList<>();
    int machineClicks = 0;
    int humanOpens = 0;
    int machineOpens = 0;
    for (Map<String, Object> e : events) {
      @SuppressWarnings("unchecked")
      Map<String, Object> detail = (Map<String, Object>) e.get("detail");
      boolean machine = (Boolean) detail.get("machine");
      if (e.get("type").equals("message.clicked")) {
        if (machine) {
          machineClicks++;
          assertThat(detail.get("url")).isEqualTo(TrackingFixtures.TRACKED.get(0));
        } else {
          humanClicks.add((String) detail.get("url"));
          assertThat(detail.get("userAgent")).isEqualTo(BROWSER);
        }
      } else {
        assertThat(e.get("type")).isEqualTo("message.opened");
        if (machine) {
          machineOpens++;
          assertThat(detail.get("userAgent")).isEqualTo(GMAIL_PROXY);
        } else {
          humanOpens++;
        }
      }
    }
    assertThat(humanClicks).containsExactlyElementsOf(TrackingFixtures.TRACKED);
    assertThat(machineClicks).isEqualTo(2);
    assertThat(humanOpens).isEqualTo(1);
    assertThat(machineOpens).isEqualTo(1);
    // the message document lists them too, under its own names
    List<String> history =
        admin().get("/v1/messages/" + id).then().statusCode(200).extract().path("events.type");
    assertThat(history).contains("opened", "clicked", "delivered");
  }

  @Test
  void opensAndClicksWithinTheWindowAfterDeliveryAreMachines() {
    String domain = Api.registerDomain();
    String rcpt = "fresh@" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
    String id =
        Api.send(tracked(domain, List.of(rcpt), "<p><a href=\"https://example.com/w\">w</a></p>"))
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    Document html = htmlOf(receivedBy(rcpt));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                Db.count(
                        pool,
                        "select count(*) from delivery where message_id = $1::uuid and status ="
                            + " 'delivered'",
                        id)
                    > 0);
    // delivered just now (the window is 60 s in this profile): a person's agent or not, a machine
    Db.exec(pool, "update delivery set last_attempt_at = now() where message_id = $1::uuid", id);
    assertThat(get(html.selectFirst("a").attr("href"), BROWSER).statusCode()).isEqualTo(302);
    assertThat(get(html.selectFirst("img").attr("src"), BROWSER).statusCode()).isEqualTo(200);
    List<Map<String, Object>> events = events(domain, 2);
    assertThat(events)
        .extracting(e -> (Object) ((Map<?, ?>) e.get("detail")).get("machine"))
        .containsExactly(true, true);
  }

  @Test
  void aMessageToSeveralRecipientsNamesNoRecipientInItsEventsAndBatchesTrackToo() {
    String domain = Api.registerDomain();
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String one = "one@" + tag + ".example.org";
    String a = "a@" + tag + ".example.net";
    String b = "b@" + tag + ".example.net";
    String html = "<a href=\"https://example.com/batch\">b</a>";
    List<String> ids =
        admin()
            .body(
                List.of(tracked(domain, List.of(one), html), tracked(domain, List.of(a, b), html)))
            .post("/v1/messages/batch")
            .then()
            .statusCode(200)
            .extract()
            .path("id");
    Document single = htmlOf(receivedBy(one));
    Document shared = htmlOf(receivedBy(a));
    assertThat(htmlOf(receivedBy(b)).html()).isEqualTo(shared.html());
    deliveredLongAgo(ids.get(0));
    deliveredLongAgo(ids.get(1));
    assertThat(get(single.selectFirst("a").attr("href"), BROWSER).header("Location"))
        .isEqualTo("https://example.com/batch");
    assertThat(get(shared.selectFirst("a").attr("href"), BROWSER).header("Location"))
        .isEqualTo("https://example.com/batch");
    List<Map<String, Object>> clicks =
        events(domain, 2).stream().filter(e -> e.get("type").equals("message.clicked")).toList();
    assertThat(clicks).hasSize(2);
    for (Map<String, Object> click : clicks) {
      if (click.get("messageId").equals(ids.get(0))) {
        assertThat(click.get("recipient")).isEqualTo(one);
      } else {
        assertThat(click.get("messageId")).isEqualTo(ids.get(1));
        assertThat(click.get("recipient")).isNull();
      }
    }
  }

  @Test
  void forgedAlteredOrOverlongTokensAre404AndNeverRedirect() {
    UUID message = UUID.randomUUID();
    String token = tokens.click(message, 0, "https://example.com/real");
    given().redirects().follow(false).get("/t/c/" + token).then().statusCode(302);
    char last = token.charAt(token.length() - 2);
    String altered =
        token.substring(0, token.length() - 2)
            + (last == 'A' ? 'B' : 'A')
            + token.charAt(token.length() - 1);
    given().redirects().follow(false).get("/t/c/" + altered).then().statusCode(404);
    String forged =
        new TrackingTokens(TrackingFixtures.signedTokens((byte) 5))
            .click(message, 0, "https://evil.example/");
    given().redirects().follow(false).get("/t/c/" + forged).then().statusCode(404);
    given().redirects().follow(false).head("/t/c/" + forged).then().statusCode(404);
    given().get("/t/c/not-a-token").then().statusCode(404);
    given().get("/t/c/" + "A".repeat(3000)).then().statusCode(404);
    given().get("/t/o/" + forged).then().statusCode(404);
    // an open token is no click token and the other way round
    given().redirects().follow(false).get("/t/c/" + tokens.open(message)).then().statusCode(404);
    given().get("/t/o/" + token).then().statusCode(404);
    given().get("/t/o/" + tokens.open(message)).then().statusCode(200);
  }

  private static Document htmlOf(MimeMessage m) {
    try {
      Multipart alternative = (Multipart) m.getContent();
      return Jsoup.parse((String) alternative.getBodyPart(1).getContent());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}

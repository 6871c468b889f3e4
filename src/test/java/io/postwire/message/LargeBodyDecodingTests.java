package io.postwire.message;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Context;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A large request body is decoded (JSON, binding and base64 checks, a raw message's parts) on a
 * worker thread, never on the event loop; a small one stays where it is.
 */
@QuarkusTest
class LargeBodyDecodingTests {

  /** Each decoding step with where it ran: {@code json@worker}, {@code raw@loop}, ... */
  final List<String> steps = new CopyOnWriteArrayList<>();

  String domain;

  @BeforeEach
  void watchDecoding() {
    domain = registerDomain();
    MessageWrites.decodingObserver =
        step -> steps.add(step + (Context.isOnEventLoopThread() ? "@loop" : "@worker"));
  }

  @AfterEach
  void stopWatching() {
    MessageWrites.decodingObserver = step -> {};
  }

  @Test
  void aLargeMessageWithAnAttachmentIsDecodedOffTheEventLoop() {
    admin().body(withAttachment(200 * 1024)).post("/v1/messages").then().statusCode(202);
    assertThat(steps).containsExactly("json@worker", "prepare@worker");
  }

  @Test
  void aLargeBatchIsDecodedOffTheEventLoop() {
    admin()
        .body(List.of(withAttachment(100 * 1024), withAttachment(100 * 1024)))
        .post("/v1/messages/batch")
        .then()
        .statusCode(200);
    assertThat(steps).containsExactly("json@worker", "prepare@worker");
  }

  @Test
  void aLargeRawMessageIsDecodedAndParsedOffTheEventLoop() {
    StringBuilder text = new StringBuilder();
    while (text.length() < 200 * 1024) {
      text.append("A line of a long message, well under the 998 octets of RFC 5322.\r\n");
    }
    String rfc5322 = "From: a@" + domain + "\r\nTo: bob@example.org\r\nSubject: big\r\n\r\n" + text;
    admin()
        .body(
            Map.of(
                "mailFrom",
                "a@" + domain,
                "rcptTo",
                List.of("bob@example.org"),
                "raw",
                Base64.getEncoder().encodeToString(rfc5322.getBytes(StandardCharsets.US_ASCII))))
        .post("/v1/messages/raw")
        .then()
        .statusCode(202);
    assertThat(steps).containsExactly("json@worker", "prepare@worker", "raw@worker");
  }

  @Test
  void aSmallMessageIsDecodedOnTheEventLoop() {
    admin().body(withAttachment(1024)).post("/v1/messages").then().statusCode(202);
    assertThat(steps).containsExactly("json@loop", "prepare@loop");
  }

  private Map<String, Object> withAttachment(int size) {
    byte[] content = new byte[size];
    Arrays.fill(content, (byte) 'x');
    return Map.of(
        "from",
        "a@" + domain,
        "to",
        List.of("bob@example.org"),
        "text",
        "see the attachment",
        "attachments",
        List.of(
            Map.of(
                "filename",
                "big.txt",
                "contentType",
                "text/plain",
                "content",
                Base64.getEncoder().encodeToString(content))));
  }
}

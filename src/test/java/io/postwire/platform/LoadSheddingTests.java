package io.postwire.platform;

import static io.postwire.testing.Api.ADMIN;
import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static io.postwire.testing.Api.message;
import static io.postwire.testing.Api.registerDomain;
import static io.postwire.testing.Api.scopedKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Load shedding (postwire.api.max-in-flight-bytes, 32M by default): sends whose bodies would not
 * fit beside those in flight, or beyond their key's half of that room, are refused with 503 and
 * Retry-After before their bodies are read; the room comes back when a send ends or its connection
 * closes.
 */
@QuarkusTest
class LoadSheddingTests {

  @Inject HttpLimits limits;

  /** Opens a send that declares {@code length} bytes and sends only the first few. */
  static Socket slowSend(long length) throws Exception {
    return slowSend(ADMIN, length);
  }

  /** Opens a send by {@code key} that declares {@code length} bytes and sends the first few. */
  static Socket slowSend(String key, long length) throws Exception {
    return openSend(key, "Content-Length: " + length, "{\"from\":");
  }

  /** Opens a chunked send (no declared length) by {@code key} and sends its first chunk only. */
  static Socket slowChunkedSend(String key) throws Exception {
    return openSend(key, "Transfer-Encoding: chunked", "8\r\n{\"from\":\r\n");
  }

  /**
   * Sends the head of a send by {@code key}, framed by {@code framing}, and the first bytes of its
   * body.
   */
  static Socket openSend(String key, String framing, String firstBytes) throws Exception {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), RestAssured.port);
    socket.setSoTimeout(10_000);
    String head =
        "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\n"
            + "Authorization: Bearer "
            + key
            + "\r\n"
            + "Content-Type: application/json\r\n"
            + framing
            + "\r\n\r\n"
            + firstBytes;
    socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  /** Waits until exactly {@code bytes} of send bodies are counted as in flight. */
  void awaitInFlight(long bytes) {
    await().atMost(Duration.ofSeconds(5)).until(() -> limits.inFlightBytes() == bytes);
  }

  @Test
  void refusesASendThatDoesNotFitBesideThoseInFlightAndAdmitsAgainOnceTheyEnd() throws Exception {
    String domain = registerDomain();
    // 33,540,000 of the 33,554,432 bytes (32M) in flight, each key within its half: a small send
    // (16 KiB) no longer fits
    List<Socket> held = new ArrayList<>();
    try {
      held.add(slowSend(scopedKey(domain), 16_700_000));
      held.add(slowSend(scopedKey(domain), 16_700_000));
      held.add(slowSend(140_000));
      awaitInFlight(33_540_000);

      try (Socket fourth = slowSend(scopedKey(domain), 1_000_000)) {
        String status =
            new BufferedReader(
                    new InputStreamReader(fourth.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        assertThat(status).startsWith("HTTP/1.1 503");
      }
      admin()
          .body(message(domain, "x@example.org"))
          .post("/v1/messages")
          .then()
          .statusCode(503)
          .header("Retry-After", "1")
          .contentType("application/problem+json")
          .body("code", equalTo("unavailable"));
      // other routes are not counted
      admin().get("/v1/domains").then().statusCode(200);
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
    awaitInFlight(0);
    admin().body(message(domain, "x@example.org")).post("/v1/messages").then().statusCode(202);
  }

  @Test
  void countsAChunkedSendAtTheRequestLimitItMayGrowTo() throws Exception {
    awaitInFlight(0);
    long limit = 16L * 1024 * 1024;
    String domain = registerDomain();
    try (Socket first = slowChunkedSend(scopedKey(domain));
        Socket second = slowChunkedSend(scopedKey(domain))) {
      awaitInFlight(2 * limit);
      try (Socket third = slowChunkedSend(scopedKey(domain))) {
        String status =
            new BufferedReader(
                    new InputStreamReader(third.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        assertThat(status).startsWith("HTTP/1.1 503");
      }
    }
    awaitInFlight(0);
  }

  @Test
  void aKeyTricklingLargeBodiesLeavesRoomForAnotherKeysSend() throws Exception {
    String domain = registerDomain();
    awaitInFlight(0);
    // One key's clients open sends as large as the request limit allows and trickle their bodies;
    // without a share per key, two of them hold the whole 32M and starve every other key.
    List<Socket> trickling = new ArrayList<>();
    try {
      trickling.add(slowSend(16_770_000));
      awaitInFlight(16_770_000);
      for (int i = 0; i < 2; i++) {
        Socket more = slowSend(16_770_000);
        trickling.add(more);
        assertThat(statusLine(more)).startsWith("HTTP/1.1 503");
      }
      assertThat(limits.inFlightBytes()).isEqualTo(16_770_000);

      as(scopedKey(domain))
          .body(message(domain, "z@example.org"))
          .post("/v1/messages")
          .then()
          .statusCode(202);
    } finally {
      for (Socket s : trickling) {
        s.close();
      }
    }
    awaitInFlight(0);
  }

  static String statusLine(Socket socket) throws Exception {
    return new BufferedReader(
            new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
        .readLine();
  }

  @Test
  void admitsASendLargerThanTheBudgetWhenNothingElseIsInFlight() throws Exception {
    awaitInFlight(0);
    try (Socket alone = slowSend(16_000_000)) {
      awaitInFlight(16_000_000);
    }
    awaitInFlight(0);
  }

  @Test
  void givesTheRoomBackWhenTheClientHangsUpMidBody() throws Exception {
    awaitInFlight(0);
    try (Socket gone = slowSend(1_000_000)) {
      awaitInFlight(1_000_000);
    }
    awaitInFlight(0);
  }

  @Test
  void givesTheRoomBackWhenTheHttpLayerRefusesABodyOverTheLimit() throws Exception {
    awaitInFlight(0);
    try (Socket big = slowSend(17L * 1024 * 1024)) {
      String status =
          new BufferedReader(new InputStreamReader(big.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();
      assertThat(status).startsWith("HTTP/1.1 413");
    }
    awaitInFlight(0);
  }

  @Test
  void givesTheRoomBackWhenASendEnds() {
    String domain = registerDomain();
    awaitInFlight(0);
    admin().body(message(domain, "y@example.org")).post("/v1/messages").then().statusCode(202);
    // the room is given back when the response has ended, which the client may see first
    awaitInFlight(0);
  }
}

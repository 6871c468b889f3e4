package io.postwire.platform;

import static io.postwire.testing.Api.ADMIN;
import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.message;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.TightLimitsProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * postwire.api.body-timeout (2 s here): a client that sends its body a byte a second is answered
 * with 408 and its connection closed, and what its send held is given back, instead of holding it
 * for the HTTP layer's 30-minute idle timeout.
 */
@QuarkusTest
@TestProfile(TightLimitsProfile.class)
class SlowUploadTests {

  @Inject HttpLimits limits;

  @Test
  void aDeclaredBodySentAByteASecondIsAnsweredWith408AndGivesItsRoomBack() throws Exception {
    await().atMost(Duration.ofSeconds(5)).until(() -> limits.inFlightBytes() == 0);
    try (Socket socket = LoadSheddingTests.slowSend(ADMIN, 1_000_000)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> limits.inFlightBytes() == 1_000_000);
      String answer = trickleUntilAnswered(socket, "x");
      assertThat(answer)
          .startsWith("HTTP/1.1 408")
          .containsIgnoringCase("content-type: application/problem+json")
          .contains("\"code\":\"request_timeout\"");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> limits.inFlightBytes() == 0);
  }

  @Test
  void aChunkedBodySentSlowlyIsAnsweredWith408() throws Exception {
    try (Socket socket = LoadSheddingTests.slowChunkedSend(ADMIN)) {
      String answer = trickleUntilAnswered(socket, "1\r\nx\r\n");
      assertThat(answer).startsWith("HTTP/1.1 408").contains("\"code\":\"request_timeout\"");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> limits.inFlightBytes() == 0);
  }

  @Test
  void aConnectionAnsweredBeforeItsBodyIsClosedWhenTheBodyStillTricklesAtTheDeadline()
      throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), RestAssured.port)) {
      // no key: answered 401 at once, before the body is read
      socket
          .getOutputStream()
          .write(
              ("POST /v1/messages HTTP/1.1\r\nHost: localhost\r\n"
                      + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
                  .getBytes(StandardCharsets.US_ASCII));
      String answer = trickleUntilAnswered(socket, " ");
      assertThat(answer).startsWith("HTTP/1.1 401");
      assertThat(trickleUntilClosed(socket, " ")).isTrue();
    }
  }

  /** Writes {@code piece} about once a second until the service closes the connection (≤ 20 s). */
  static boolean trickleUntilClosed(Socket socket, String piece) throws Exception {
    socket.setSoTimeout(1000);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    byte[] buffer = new byte[4096];
    while (System.nanoTime() < deadline) {
      try {
        socket.getOutputStream().write(piece.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
      } catch (IOException closed) {
        return true;
      }
      try {
        if (socket.getInputStream().read(buffer) < 0) {
          return true;
        }
      } catch (SocketTimeoutException quiet) {
        // still open
      } catch (IOException reset) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aBodySentInTimeIsServedAsBefore() {
    String domain = registerDomain();
    admin().body(message(domain, "p@example.org")).post("/v1/messages").then().statusCode(202);
  }

  /**
   * Writes {@code piece} about once a second until the service answers (at most 20 s, well past the
   * 2 s deadline) and returns what it sent.
   */
  static String trickleUntilAnswered(Socket socket, String piece) throws Exception {
    socket.setSoTimeout(1000);
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        socket.getOutputStream().write(piece.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
      } catch (IOException closed) {
        // the service may close before our next byte; what it answered is still to be read
      }
      try {
        int n = in.read(buffer);
        if (n < 0) {
          break;
        }
        answer.write(buffer, 0, n);
        if (answer.toString(StandardCharsets.US_ASCII).contains("}")) {
          break;
        }
      } catch (SocketTimeoutException quiet) {
        // no answer yet: send the next byte
      } catch (IOException reset) {
        break;
      }
    }
    return answer.toString(StandardCharsets.US_ASCII);
  }
}

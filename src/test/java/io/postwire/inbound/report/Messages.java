package io.postwire.inbound.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Test messages: resources and text with CRLF line ends, as the inbound listener hands them on. */
final class Messages {

  private Messages() {}

  static byte[] resource(String name) {
    try (InputStream in = Messages.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return crlf(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] crlf(String text) {
    return text.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  static <T extends InboundReport> T parseAs(Class<T> type, byte[] message) {
    InboundReport report = InboundReports.parse(message);
    assertThat(report).isInstanceOf(type);
    return type.cast(report);
  }

  static <T extends InboundReport> T parseAs(Class<T> type, String message) {
    return parseAs(type, crlf(message));
  }
}

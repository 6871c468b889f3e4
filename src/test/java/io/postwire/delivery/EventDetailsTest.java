package io.postwire.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.postwire.delivery.smtp.SmtpReply;
import io.postwire.delivery.smtp.SmtpResult;
import io.postwire.platform.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The event detail JSON is what the pipeline wrote by hand before: same members, same order. */
class EventDetailsTest {

  final EventDetails details = new EventDetails(new Json(new ObjectMapper()));

  @Test
  void attemptNamesWhereItWentAndWhatTheServerSaidEscapingItsText() {
    SmtpReply reply = new SmtpReply(250, "2.0.0", "ok \"queued\" as \\<id> ü");
    SmtpResult result = new SmtpResult("mx.example.org", "127.0.0.1", true, Map.of(), 12);
    assertThat(details.attempt(result, reply))
        .isEqualTo(
            "{\"host\":\"mx.example.org\",\"ip\":\"127.0.0.1\",\"tls\":true,\"code\":250,"
                + "\"enhancedCode\":\"2.0.0\",\"text\":\"ok \\\"queued\\\" as \\\\<id> ü\","
                + "\"durationMs\":12}");
  }

  @Test
  void missingValuesAreNull() {
    SmtpReply reply = new SmtpReply(0, null, "no reply for this recipient");
    SmtpResult result = new SmtpResult(null, null, false, Map.of(), 5);
    assertThat(details.attempt(result, reply))
        .isEqualTo(
            "{\"host\":null,\"ip\":null,\"tls\":false,\"code\":0,\"enhancedCode\":null,"
                + "\"text\":\"no reply for this recipient\",\"durationMs\":5}");
    assertThat(details.reply(reply))
        .isEqualTo("{\"code\":0,\"enhancedCode\":null,\"text\":\"no reply for this recipient\"}");
  }

  @Test
  void reasonsSandboxAndInternalFailures() {
    assertThat(details.reason("hard_bounce")).isEqualTo("{\"reason\":\"hard_bounce\"}");
    assertThat(details.sandbox()).isEqualTo("{\"sandbox\":true}");
    assertThat(details.internalFailure("java.lang.IllegalStateException: \"x\"", 2))
        .isEqualTo("{\"error\":\"java.lang.IllegalStateException: \\\"x\\\"\",\"failures\":2}");
  }
}

package io.postwire.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postwire.delivery.smtp.SmtpReply;
import io.postwire.delivery.smtp.SmtpResult;
import io.postwire.platform.Json;
import jakarta.enterprise.context.ApplicationScoped;

/** The {@code detail} JSON of the events the pipeline writes (API.md, "Events"). */
@ApplicationScoped
class EventDetails {

  private final ObjectMapper mapper;

  EventDetails(Json json) {
    this.mapper = json.mapper();
  }

  /** An {@code attempt}: where it went and what the server answered. */
  String attempt(SmtpResult result, SmtpReply reply) {
    ObjectNode node = mapper.createObjectNode();
    node.put("host", result.host());
    node.put("ip", result.ip());
    node.put("tls", result.tls());
    node.put("code", reply.code());
    node.put("enhancedCode", reply.enhancedCode());
    node.put("text", reply.text());
    node.put("durationMs", result.durationMs());
    return text(node);
  }

  /** A reply: {@code code}, {@code enhancedCode}, {@code text}. */
  String reply(SmtpReply reply) {
    ObjectNode node = mapper.createObjectNode();
    node.put("code", reply.code());
    node.put("enhancedCode", reply.enhancedCode());
    node.put("text", reply.text());
    return text(node);
  }

  /** {@code {"reason": reason}}. */
  String reason(String reason) {
    return text(mapper.createObjectNode().put("reason", reason));
  }

  /** A delivery in sandbox mode. */
  String sandbox() {
    return text(mapper.createObjectNode().put("sandbox", true));
  }

  /** A failure inside the service, and how many of them the recipient has had. */
  String internalFailure(String error, int failures) {
    return text(mapper.createObjectNode().put("error", error).put("failures", failures));
  }

  private String text(ObjectNode node) {
    try {
      return mapper.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write an event detail", e);
    }
  }
}

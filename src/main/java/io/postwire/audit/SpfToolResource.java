package io.postwire.audit;

import com.google.common.net.InetAddresses;
import io.postwire.dns.SpfEvaluator;
import io.postwire.domain.DomainNames;
import io.postwire.platform.Json;
import io.postwire.platform.Problem;
import io.postwire.platform.Refusal;
import io.postwire.security.CurrentPrincipal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code POST /v1/tools/spf}: RFC 7208 {@code check_host()} with the audit's evaluator. */
@Path("/v1/tools/spf")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Tools")
public class SpfToolResource {

  /** The request: the client IP, the MAIL FROM address and the HELO name. */
  public record SpfRequest(String ip, String sender, String helo) {}

  /** The answer. */
  public record SpfAnswer(String result, String explanation, int lookups) {}

  /** RFC 5321 §4.5.3.1.1: the longest local part. */
  static final int MAX_LOCAL_PART_OCTETS = 64;

  /** RFC 5321 §4.5.3.1.2: the longest domain. */
  static final int MAX_DOMAIN_OCTETS = 255;

  private final SpfEvaluator evaluator;
  private final CurrentPrincipal current;
  private final Json json;

  public SpfToolResource(SpfEvaluator evaluator, CurrentPrincipal current, Json json) {
    this.evaluator = evaluator;
    this.current = current;
    this.json = json;
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Evaluate SPF (RFC 7208 check_host) for an IP, sender and HELO")
  @RequestBody(content = @Content(schema = @Schema(implementation = SpfRequest.class)))
  public Uni<SpfAnswer> check(byte[] body) {
    current.get();
    SpfRequest request = json.read(body, SpfRequest.class);
    List<Problem.FieldError> errors = new ArrayList<>();
    if (request.ip() == null || !InetAddresses.isInetAddress(request.ip())) {
      errors.add(new Problem.FieldError("ip", "must be an IPv4 or IPv6 address"));
    }
    String helo = request.helo() == null ? "" : request.helo().strip();
    if (octets(helo) > MAX_DOMAIN_OCTETS) {
      errors.add(
          new Problem.FieldError(
              "helo", "may be at most " + MAX_DOMAIN_OCTETS + " octets (RFC 5321 §4.5.3.1.2)"));
    } else if (!helo.isEmpty() && DomainNames.normalize(helo) == null) {
      errors.add(new Problem.FieldError("helo", "must be a domain name"));
    }
    String sender = request.sender() == null ? "" : request.sender().strip();
    if (sender.isEmpty()) {
      if (helo.isEmpty()) {
        errors.add(new Problem.FieldError("sender", "sender or helo is required"));
      }
    } else {
      int at = sender.lastIndexOf('@');
      String local = at >= 0 ? sender.substring(0, at) : "";
      String domain = at >= 0 ? sender.substring(at + 1) : sender;
      if (octets(local) > MAX_LOCAL_PART_OCTETS) {
        errors.add(
            new Problem.FieldError(
                "sender",
                "the local part may be at most "
                    + MAX_LOCAL_PART_OCTETS
                    + " octets (RFC 5321 §4.5.3.1.1)"));
      } else if (octets(domain) > MAX_DOMAIN_OCTETS) {
        errors.add(
            new Problem.FieldError(
                "sender",
                "the domain may be at most "
                    + MAX_DOMAIN_OCTETS
                    + " octets (RFC 5321 §4.5.3.1.2)"));
      } else if (DomainNames.normalize(domain) == null) {
        errors.add(new Problem.FieldError("sender", "must be an address or a domain name"));
      } else {
        // the names queried are A-labels (bücher.example is xn--bcher-kva.example in the DNS)
        sender = (at >= 0 ? local + "@" : "") + DomainNames.normalize(domain);
      }
    }
    if (!errors.isEmpty()) {
      throw Refusal.invalid("validation_failed", "the request is invalid", errors);
    }
    String heloName = helo.isEmpty() ? helo : DomainNames.normalize(helo);
    return evaluator
        .checkMailFrom(InetAddresses.forString(request.ip()), sender, heloName)
        .map(r -> new SpfAnswer(r.result().wireName(), r.explanation(), r.lookups()));
  }

  private static int octets(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }
}

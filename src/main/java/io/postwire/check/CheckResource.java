package io.postwire.check;

import io.postwire.message.RawSendRequest;
import io.postwire.message.SendRequest;
import io.postwire.security.CurrentPrincipal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /v1/messages/check} and {@code /v1/messages/raw/check}: the pre-send check of a send's
 * body; nothing is stored or sent.
 */
@Path("/v1/messages")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Messages")
public class CheckResource {

  static final String CHECK_EXAMPLE =
      """
      {"from":"Shop <news@example.com>","to":["bob@example.org"],"subject":"Spring sale",
       "html":"<p>Sale! <a href=\\"https://bit.ly/x\\">example.com</a></p>","bulk":true}""";

  static final String REPORT_EXAMPLE =
      """
      {"score":0,"grade":"F","findings":[
        {"code":"link_text_mismatch","severity":"error","field":"html",
         "message":"Link text shows another domain than the link goes to: example.com → bit.ly",
         "fix":"Make each link's text show the domain it points to, or use words rather than a domain as its text"},
        {"code":"missing_list_unsubscribe","severity":"error","field":"headers.List-Unsubscribe",
         "message":"Bulk mail without a List-Unsubscribe header: …","fix":"Add List-Unsubscribe: …"},
        {"code":"missing_text_part","severity":"warning","field":"text",
         "message":"The message has HTML but no plain-text alternative","fix":"Add a text version …"},
        {"code":"url_shortener","severity":"warning","field":"html",
         "message":"Links through URL shorteners (bit.ly): …","fix":"Link to the destination on your own domain"}],
       "spam":{"engine":"spamassassin","score":2.1,"threshold":5.0,"flagged":false,
        "rules":[{"name":"MIME_HTML_ONLY","score":0.1,"description":"BODY: Message only has text/html MIME parts"}]},
       "authentication":{"spf":"pass","dkim":"pass","dmarc":"pass","audit":"warn"},
       "size":{"bytes":912,"clipsInGmail":false}}""";

  private final CheckService checks;
  private final CurrentPrincipal current;

  public CheckResource(CheckService checks, CurrentPrincipal current) {
    this.checks = checks;
    this.current = current;
  }

  @POST
  @Path("/check")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(
      summary =
          "Check a message before sending it (the body of a send, plus optional \"bulk\":true):"
              + " score, grade, findings, SpamAssassin; nothing is stored or sent")
  @RequestBody(
      description = "a send's body (SendRequest) with an optional \"bulk\": true",
      content =
          @Content(
              schema = @Schema(implementation = SendRequest.class),
              examples = @ExampleObject(name = "bulk mail", value = CHECK_EXAMPLE)))
  @APIResponse(
      responseCode = "200",
      description = "the report",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = CheckReport.class),
              examples = @ExampleObject(name = "report", value = REPORT_EXAMPLE)))
  public Uni<CheckReport> check(byte[] body) {
    return checks.check(current.get(), body);
  }

  @POST
  @Path("/raw/check")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(
      summary =
          "Check a built message before sending it (the body of a raw send, plus optional"
              + " \"bulk\":true); nothing is stored or sent")
  @RequestBody(
      description = "a raw send's body (RawSendRequest) with an optional \"bulk\": true",
      content = @Content(schema = @Schema(implementation = RawSendRequest.class)))
  @APIResponse(
      responseCode = "200",
      description = "the report",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = CheckReport.class)))
  public Uni<CheckReport> checkRaw(byte[] body) {
    return checks.checkRaw(current.get(), body);
  }
}

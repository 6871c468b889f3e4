package io.postwire.message;

import io.postwire.platform.Page;
import io.postwire.platform.PageRequest;
import io.postwire.security.CurrentPrincipal;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /v1/messages}: send, send in batches, send raw, track, cancel. */
@Path("/v1/messages")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Messages")
public class MessageResource {

  /** RFC 2046 §5.2.1: a whole RFC 5322 message. */
  static final String RFC822 = "message/rfc822";

  private static final String IDEMPOTENCY_KEY =
      "optional, 1 to 255 printable ASCII characters: the same JSON again gets the first answer";

  static final String SEND_EXAMPLE =
      """
      {"from":"Shop <orders@example.com>","to":["Bob <bob@example.org>"],
       "replyTo":"support@example.com","subject":"Your order 4711",
       "text":"Thanks for your order.","html":"<p>Thanks for your order.</p>",
       "headers":{"X-Campaign":"orders"},
       "attachments":[{"filename":"invoice.txt","contentType":"text/plain",
                       "content":"SW52b2ljZSA0NzExCg=="}],
       "tags":["orders"],"metadata":{"orderId":"4711"}}""";

  static final String ACCEPTED_EXAMPLE =
      """
      {"id":"0f8b2a4e-3c1d-4e5f-9a6b-7c8d9e0f1a2b","status":"queued",
       "createdAt":"2026-01-15T09:30:00Z",
       "recipients":[{"address":"bob@example.org","status":"queued"}]}""";

  static final String BATCH_EXAMPLE =
      """
      [{"from":"news@example.com","to":["ann@example.org"],"subject":"Hi Ann","text":"Hello"},
       {"from":"news@example.com","to":["ben@example.org"],"subject":"Hi Ben","text":"Hello"}]""";

  static final String BATCH_ANSWER =
      """
      [{"index":0,"id":"0f8b2a4e-3c1d-4e5f-9a6b-7c8d9e0f1a2b","status":"queued",
        "createdAt":"2026-01-15T09:30:00Z",
        "recipients":[{"address":"ann@example.org","status":"queued"}]},
       {"index":1,"status":"rejected","error":{"type":"urn:postwire:problem:no_content",
        "title":"Unprocessable Content","status":422,"detail":"give text, html or both",
        "code":"no_content","errors":[{"field":"text","message":"give text, html or both"}]}}]""";

  static final String RAW_EXAMPLE =
      """
      {"mailFrom":"bounce@example.com","rcptTo":["bob@example.org"],
       "raw":"RnJvbTogYWxpY2VAZXhhbXBsZS5jb20NClRvOiBib2JAZXhhbXBsZS5vcmcNClN1YmplY3Q6IFJhdw0KDQpIZWxsbw0K"}""";

  private final MessageService messages;
  private final RawSends rawSends;
  private final MessageQueries queries;
  private final CurrentPrincipal current;

  public MessageResource(
      MessageService messages,
      RawSends rawSends,
      MessageQueries queries,
      CurrentPrincipal current) {
    this.messages = messages;
    this.rawSends = rawSends;
    this.queries = queries;
    this.current = current;
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Queue a message for delivery")
  @RequestBody(
      content =
          @Content(
              schema = @Schema(implementation = SendRequest.class),
              examples = @ExampleObject(name = "order confirmation", value = SEND_EXAMPLE)))
  @APIResponse(
      responseCode = "202",
      description = "queued",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = MessageViews.Accepted.class),
              examples = @ExampleObject(name = "queued", value = ACCEPTED_EXAMPLE)))
  @Parameter(
      name = "Idempotency-Key",
      in = ParameterIn.HEADER,
      description = IDEMPOTENCY_KEY,
      schema = @Schema(type = SchemaType.STRING, maxLength = 255))
  public Uni<Response> send(HttpServerRequest http, byte[] body) {
    return messages
        .send(current.get(), idempotencyKey(http), body)
        .map(outcome -> respond(outcome, Response.Status.ACCEPTED));
  }

  @POST
  @Path("/batch")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Queue up to 500 messages; one result per item, in order")
  @RequestBody(
      content =
          @Content(
              schema = @Schema(implementation = SendRequest[].class),
              examples = @ExampleObject(name = "two messages", value = BATCH_EXAMPLE)))
  @APIResponse(
      responseCode = "200",
      description = "one result per item, in order",
      content =
          @Content(
              mediaType = "application/json",
              schema =
                  @Schema(implementation = MessageViews.BatchItem.class, type = SchemaType.ARRAY),
              examples = @ExampleObject(name = "one queued, one rejected", value = BATCH_ANSWER)))
  @Parameter(
      name = "Idempotency-Key",
      in = ParameterIn.HEADER,
      description = IDEMPOTENCY_KEY,
      schema = @Schema(type = SchemaType.STRING, maxLength = 255))
  public Uni<Response> batch(HttpServerRequest http, byte[] body) {
    return messages
        .sendBatch(current.get(), idempotencyKey(http), body)
        .map(outcome -> respond(outcome, Response.Status.OK));
  }

  @POST
  @Path("/raw")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Queue a message the caller built (base64 RFC 5322); it is DKIM-signed too")
  @RequestBody(
      content =
          @Content(
              schema = @Schema(implementation = RawSendRequest.class),
              examples = @ExampleObject(name = "a built message", value = RAW_EXAMPLE)))
  @APIResponse(
      responseCode = "202",
      description = "queued",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = MessageViews.Accepted.class)))
  @Parameter(
      name = "Idempotency-Key",
      in = ParameterIn.HEADER,
      description = IDEMPOTENCY_KEY,
      schema = @Schema(type = SchemaType.STRING, maxLength = 255))
  public Uni<Response> raw(HttpServerRequest http, byte[] body) {
    return rawSends
        .sendRaw(current.get(), idempotencyKey(http), body)
        .map(outcome -> respond(outcome, Response.Status.ACCEPTED));
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "A message with its recipients and events")
  public Uni<MessageViews.Message> get(@PathParam("id") String id) {
    return queries.get(current.get(), id);
  }

  @GET
  @Path("/{id}/raw")
  @Produces(MessageResource.RFC822)
  @Operation(
      summary =
          "The message as sent: its DKIM signature and content, the bytes of the SMTP DATA"
              + " (as rendered while not yet signed)")
  @APIResponse(
      responseCode = "200",
      description = "the RFC 5322 message",
      content =
          @Content(
              mediaType = RFC822,
              schema = @Schema(type = SchemaType.STRING, format = "binary")))
  @APIResponse(
      responseCode = "404",
      description = "no such message for this key, or its content was purged by retention")
  public Uni<Response> raw(@PathParam("id") String id) {
    return queries.raw(current.get(), id).map(bytes -> Response.ok(bytes).type(RFC822).build());
  }

  @GET
  @Operation(summary = "Messages, newest first")
  public Uni<Page<MessageViews.Summary>> list(
      @QueryParam("status") String status,
      @QueryParam("recipient") String recipient,
      @BeanParam PageRequest page) {
    return queries.list(current.get(), status, recipient, page);
  }

  @DELETE
  @Path("/{id}")
  @Operation(summary = "Cancel the recipients not yet delivered")
  public Uni<MessageViews.Message> cancel(@PathParam("id") String id) {
    return queries.cancel(current.get(), id);
  }

  /**
   * The {@code Idempotency-Key} header as sent, read from the request itself: an empty one is a
   * value to refuse (422), which the framework's header binding would pass on as no header at all.
   */
  private static String idempotencyKey(HttpServerRequest http) {
    return http.getHeader("Idempotency-Key");
  }

  /**
   * A send's answer with the endpoint's status ({@code 202} for messages queued, {@code 200} for a
   * batch's results): an {@link SendOutcome.Accepted} and a {@link SendOutcome.Replayed} alike, as
   * a replay is the first answer again.
   */
  private static Response respond(SendOutcome outcome, Response.Status status) {
    return Response.status(status).type(MediaType.APPLICATION_JSON).entity(outcome.body()).build();
  }
}

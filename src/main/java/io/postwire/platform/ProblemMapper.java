package io.postwire.platform;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.VertxException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.net.ConnectException;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Turns every failure of a request into an RFC 9457 problem answer, in one place. */
public class ProblemMapper {

  private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

  /** The answer while the database does not answer (sent with {@code Retry-After}). */
  public static final Problem UNAVAILABLE =
      Problem.of(503, "unavailable", "The database does not answer; retry later", List.of());

  @ServerExceptionMapper
  public Response refused(Refusal e) {
    return respond(problem(e), e.retryAfterSeconds());
  }

  /** The HTTP status for each kind of refusal: the one place a refusal gets a status. */
  public static int status(Refusal.Kind kind) {
    return switch (kind) {
      case MALFORMED -> 400;
      case INVALID -> 422;
      case FORBIDDEN -> 403;
      case NOT_FOUND -> 404;
      case CONFLICT -> 409;
      case TOO_LARGE -> 413;
      case RATE_LIMITED -> 429;
    };
  }

  /** A refusal as a problem document (also each rejected item of a batch answer). */
  public static Problem problem(Refusal e) {
    return Problem.of(status(e.kind()), e.code(), e.detail(), e.errors());
  }

  /** A refusal as a whole problem answer, with {@code Retry-After} when it has one. */
  public static Response response(Refusal e) {
    return respond(problem(e), e.retryAfterSeconds());
  }

  @ServerExceptionMapper
  public Response json(JsonProcessingException e) {
    return respond(
        Problem.of(400, "malformed_json", "The request body is not valid JSON", List.of()), null);
  }

  @ServerExceptionMapper
  public Response notFound(NotFoundException e) {
    return respond(Problem.of(404, "not_found", "No such resource", List.of()), null);
  }

  @ServerExceptionMapper
  public Response unsupported(NotSupportedException e) {
    return respond(
        Problem.of(415, "unsupported_media_type", "Send application/json", List.of()), null);
  }

  @ServerExceptionMapper
  public Response notAllowed(NotAllowedException e) {
    return respond(
        Problem.of(405, "method_not_allowed", "Method not allowed here", List.of()), null);
  }

  @ServerExceptionMapper
  public Response notAcceptable(NotAcceptableException e) {
    return respond(
        Problem.of(406, "not_acceptable", "This API answers application/json", List.of()), null);
  }

  @ServerExceptionMapper
  public Response web(WebApplicationException e) {
    int status = e.getResponse().getStatus();
    if (status == 413) {
      return respond(
          Problem.of(413, "payload_too_large", "The request body is too large", List.of()), null);
    }
    if (status >= 500) {
      LOG.error("Request failed", e);
      return respond(Problem.of(500, "internal", "Internal error", List.of()), null);
    }
    return respond(Problem.of(status, "bad_request", e.getMessage(), List.of()), null);
  }

  @ServerExceptionMapper
  public Response unexpected(Throwable e) {
    if (databaseUnavailable(e)) {
      LOG.warnf("Database unavailable: %s", e.toString());
      return respond(UNAVAILABLE, 5);
    }
    if (invalidValue(e)) {
      return respond(
          Problem.of(
              422,
              "validation_failed",
              "A value contains characters that cannot be stored (such as NUL)",
              List.of()),
          null);
    }
    LOG.error("Request failed", e);
    return respond(Problem.of(500, "internal", "Internal error", List.of()), null);
  }

  /**
   * True when PostgreSQL refused a value the client sent (SQLSTATE class 22, data exception: a NUL
   * in text, an unsupported escape in jsonb): the client's input, not our failure.
   */
  static boolean invalidValue(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof PgException pg
          && pg.getSqlState() != null
          && pg.getSqlState().startsWith("22")) {
        return true;
      }
    }
    return false;
  }

  /** True when a failure means PostgreSQL cannot be reached (as opposed to a bug of ours). */
  public static boolean databaseUnavailable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException
          || t instanceof ClosedConnectionException
          || t instanceof TimeoutException
          || t instanceof ConnectTimeoutException
          || t instanceof NoStackTraceThrowable
              && String.valueOf(t.getMessage()).contains("Timeout")
          || t instanceof VertxException && String.valueOf(t.getMessage()).contains("closed")
          || t instanceof PgException pg && unavailableState(pg.getSqlState())
          // Hibernate Reactive hands PostgreSQL's errors on as JDBC exceptions
          || t instanceof SQLException sql && unavailableState(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /**
   * SQLSTATEs that mean the database cannot serve us now, not that the request or our code is
   * wrong: class 08 (connection exception), 28 (invalid authorization: the login is refused), 53
   * (insufficient resources, e.g. too many connections), 57014 (query canceled: the statement
   * timeout), 57P (operator intervention: shutdown, recovery), 55P03 (lock not available).
   */
  static boolean unavailableState(String state) {
    return state != null
        && (state.startsWith("08")
            || state.startsWith("28")
            || state.startsWith("53")
            || state.equals("57014")
            || state.startsWith("57P")
            || state.equals("55P03"));
  }

  static Response respond(Problem problem, Integer retryAfterSeconds) {
    Response.ResponseBuilder builder =
        Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem);
    if (retryAfterSeconds != null) {
      builder.header("Retry-After", retryAfterSeconds);
    }
    return builder.build();
  }
}

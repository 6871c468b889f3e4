package io.postwire.submission;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.domain.DomainNames;
import io.postwire.domain.Mailbox;
import io.postwire.message.RawSends;
import io.postwire.platform.ProblemMapper;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiKeyFilter;
import io.postwire.security.ApiKeyService;
import io.postwire.security.ApiPrincipal;
import io.postwire.smtp.server.Reply;
import io.postwire.smtp.server.SmtpHandler;
import io.postwire.suppression.SuppressionService;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * What SMTP submission means for Postwire: the password is an API key, recipients are checked
 * against the suppression list at RCPT, and a finished message is a raw send by that key (API.md,
 * "SMTP submission").
 *
 * <p>At RCPT the From domain is not known yet, so a recipient is refused there when it is
 * suppressed for every domain or for one of the key's domains (an admin key: every domain only);
 * after DATA the raw send checks the From domain's entries as the REST path does, and refuses the
 * message with 550 5.7.1 when every recipient is suppressed for it.
 *
 * <p>The envelope sender the client gives is not used: the message's envelope sender is its From
 * address (the domain's own; return-path domains replace it where they are configured).
 */
@ApplicationScoped
public class SubmissionHandler implements SmtpHandler {

  private static final Logger LOG = Logger.getLogger(SubmissionHandler.class);

  /** Messages larger than this are read on a worker thread, not the event loop. */
  private static final int INLINE_LIMIT = 256 * 1024;

  private final ApiKeyService keys;
  private final RawSends messages;
  private final SuppressionService suppressions;
  private final MeterRegistry registry;

  public SubmissionHandler(
      ApiKeyService keys,
      RawSends messages,
      SuppressionService suppressions,
      MeterRegistry registry) {
    this.keys = keys;
    this.messages = messages;
    this.suppressions = suppressions;
    this.registry = registry;
  }

  @Override
  public Uni<Authentication> authenticate(SessionInfo session, String user, String password) {
    return keys.authenticate(password, ApiKeyFilter.addressKey(session.clientAddress()))
        .map(
            principal ->
                principal == null
                    ? new Authentication(
                        new Reply(535, "5.7.8", "Authentication credentials invalid"), null)
                    : new Authentication(
                        new Reply(235, "2.7.0", "Authentication successful"), principal))
        .onFailure(Refusal.class)
        .recoverWithItem(
            e ->
                new Authentication(
                    new Reply(
                        454,
                        "4.7.0",
                        "Too many failed authentications from your address; try again in "
                            + ((Refusal) e).retryAfterSeconds()
                            + " s"),
                    null));
  }

  @Override
  public Uni<Reply> recipient(SessionInfo session, String address) {
    String normalized;
    try {
      normalized = DomainNames.address(Mailbox.parse(address, "rcpt").address());
    } catch (Refusal | IllegalArgumentException e) {
      return Uni.createFrom().item(new Reply(501, "5.1.3", "Bad recipient address syntax"));
    }
    ApiPrincipal caller = (ApiPrincipal) session.identity();
    Set<String> domains = caller.admin() ? Set.of() : caller.domains();
    return suppressions
        .suppressedForAny(normalized, domains)
        .map(
            suppressed ->
                suppressed
                    ? new Reply(550, "5.7.1", "Recipient is on the suppression list")
                    : new Reply(250, "2.1.5", "Recipient OK"));
  }

  @Override
  public Uni<Reply> message(Transaction transaction) {
    ApiPrincipal caller = (ApiPrincipal) transaction.session().identity();
    Uni<Reply> handled =
        Uni.createFrom()
            .deferred(() -> send(caller, transaction))
            .onFailure()
            .recoverWithItem(this::refusal);
    return transaction.data().length > INLINE_LIMIT
        ? handled.runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
        : handled;
  }

  private Uni<Reply> send(ApiPrincipal caller, Transaction transaction) {
    SubmissionHeaders.Extracted extracted = SubmissionHeaders.extract(transaction.data());
    List<String> recipients = new ArrayList<>();
    for (String r : new LinkedHashSet<>(transaction.recipients())) {
      recipients.add(DomainNames.address(r));
    }
    RawSends.SubmissionOptions options =
        new RawSends.SubmissionOptions(
            extracted.tags(), extracted.metadata(), extracted.idempotencyKey());
    return messages
        .submitRaw(caller, recipients, extracted.message(), options)
        .map(
            id -> {
              count("accepted", "none");
              return new Reply(250, "2.0.0", "queued as " + id);
            });
  }

  /** A refusal of the raw path in SMTP words (API.md "SMTP submission"). */
  private Reply refusal(Throwable failure) {
    if (!(failure instanceof Refusal r)) {
      if (!ProblemMapper.databaseUnavailable(failure)) {
        LOG.warnf(failure, "Submission failed");
      }
      return refused(
          "unavailable", new Reply(451, "4.3.0", "Cannot store the message now; try later"));
    }
    String detail =
        r.errors().isEmpty()
            ? r.detail()
            : r.errors().get(0).field() + ": " + r.errors().get(0).message();
    return switch (r.kind()) {
      case FORBIDDEN -> refused("sender", new Reply(550, "5.7.1", detail));
      case TOO_LARGE -> refused("size", new Reply(552, "5.3.4", detail));
      case RATE_LIMITED -> refused("rate_limited", new Reply(451, "4.7.1", detail));
      case CONFLICT ->
          r.retryAfterSeconds() != null
              ? refused("busy", new Reply(451, "4.3.0", detail))
              : refused("invalid", new Reply(554, "5.6.0", detail));
      default ->
          switch (r.code()) {
            case "unknown_sender_domain" -> refused("sender", new Reply(550, "5.7.1", detail));
            case "recipient_suppressed" -> refused("suppressed", new Reply(550, "5.7.1", detail));
            default -> refused("invalid", new Reply(554, "5.6.0", detail));
          };
    };
  }

  private Reply refused(String reason, Reply reply) {
    count("refused", reason);
    return reply;
  }

  private void count(String outcome, String reason) {
    Counter.builder("postwire.submission.messages")
        .description("Messages submitted over SMTP, by outcome")
        .tag("outcome", outcome)
        .tag("reason", reason)
        .register(registry)
        .increment();
  }
}

package io.postwire.delivery;

import io.postwire.delivery.smtp.SmtpReplies;
import io.postwire.delivery.smtp.SmtpReply;
import io.postwire.delivery.smtp.SmtpResult;
import io.postwire.platform.DeliveryStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * What an attempt means for each of its recipients: the SMTP result (or the lack of one) mapped to
 * the recipient's new status, its events, and the outcome counter.
 */
@ApplicationScoped
class OutcomeMapping {

  private static final Logger LOG = Logger.getLogger(DeliveryPipeline.class);

  private final DeliveryConfig config;
  private final RetryPolicy retry;
  private final DeliveryTransports transports;
  private final DeliveryMetrics metrics;
  private final EventDetails details;

  OutcomeMapping(
      DeliveryConfig config,
      RetryPolicy retry,
      DeliveryTransports transports,
      DeliveryMetrics metrics,
      EventDetails details) {
    this.config = config;
    this.retry = retry;
    this.transports = transports;
    this.metrics = metrics;
    this.details = details;
  }

  /** Sandbox mode: everything but the connection; each recipient counts as delivered. */
  Recorded sandbox(DeliveryGroup group) {
    return everyRecipient(group, DeliveryStatus.DELIVERED, null, null, true, details.sandbox());
  }

  /** Ends every recipient without an attempt (domain removed, expired). */
  Recorded finish(DeliveryGroup group, DeliveryStatus status, String category, String reason) {
    return everyRecipient(group, status, category, reason, false, details.reason(reason));
  }

  private Recorded everyRecipient(
      DeliveryGroup group,
      DeliveryStatus status,
      String category,
      String text,
      boolean attempted,
      String eventDetail) {
    List<DeliveryStore.Outcome> outcomes = new ArrayList<>();
    List<DeliveryStore.Event> events = new ArrayList<>();
    for (DeliveryStore.Claimed c : group.rows()) {
      outcomes.add(
          new DeliveryStore.Outcome(
              c.id(),
              c.messageId(),
              c.recipient(),
              status,
              null,
              null,
              null,
              text,
              null,
              category,
              attempted,
              false));
      events.add(new DeliveryStore.Event(c.messageId(), c.recipient(), status.wire(), eventDetail));
      metrics.count(status.wire());
    }
    return new Recorded(outcomes, events);
  }

  /**
   * An attempt that ran past {@code postwire.delivery.attempt-timeout}: no server said anything, so
   * each recipient gets a local transient reply (RFC 3463 X.4.2, the transaction could not be
   * completed in time) and is deferred with the normal backoff (or expires); its lastResponse says
   * why it waits.
   */
  Recorded deadlineExceeded(DeliveryGroup group, DeliveryStore.MessageData message) {
    SmtpReply reply =
        new SmtpReply(
            451,
            "4.4.2",
            "attempt deadline exceeded: no outcome within "
                + config.attemptTimeout().toSeconds()
                + " s");
    Map<String, SmtpReply> replies = new LinkedHashMap<>();
    for (DeliveryStore.Claimed c : group.rows()) {
      replies.put(c.recipient(), reply);
    }
    return fromSmtp(
        group,
        message,
        new SmtpResult(null, null, false, replies, config.attemptTimeout().toMillis()));
  }

  /** Each recipient's outcome from the SMTP transaction's reply to it. */
  Recorded fromSmtp(DeliveryGroup group, DeliveryStore.MessageData message, SmtpResult result) {
    List<DeliveryStore.Outcome> outcomes = new ArrayList<>();
    List<DeliveryStore.Event> events = new ArrayList<>();
    Instant now = Instant.now();
    for (DeliveryStore.Claimed c : group.rows()) {
      SmtpReply reply = result.recipients().get(c.recipient());
      if (reply == null) {
        reply = new SmtpReply(0, null, "no reply for this recipient");
      }
      String host = result.host();
      events.add(
          new DeliveryStore.Event(
              c.messageId(), c.recipient(), "attempt", details.attempt(result, reply)));
      DeliveryStatus status;
      if (reply.positive()) {
        status = DeliveryStatus.DELIVERED;
        outcomes.add(outcome(c, status, null, reply, host, null, false));
        events.add(event(c, status, reply));
      } else if (reply.permanentFailure()) {
        status = DeliveryStatus.BOUNCED;
        BounceClassifier.Classification cls = BounceClassifier.classify(reply);
        outcomes.add(outcome(c, status, null, reply, host, cls.category(), cls.suppressAddress()));
        events.add(event(c, status, reply));
        if (cls.suppressAddress()) {
          events.add(
              new DeliveryStore.Event(
                  c.messageId(),
                  c.recipient(),
                  DeliveryStatus.SUPPRESSED.wire(),
                  details.reason("hard_bounce")));
        }
      } else {
        Duration wait = retry.next(c.attempts() + 1, transports.retryHint(reply));
        Instant next = now.plus(wait);
        if (!next.isBefore(message.expiresAt())) {
          status = DeliveryStatus.EXPIRED;
          outcomes.add(outcome(c, status, null, reply, host, "expired", false));
        } else {
          status = DeliveryStatus.DEFERRED;
          outcomes.add(outcome(c, status, next, reply, host, null, false));
        }
        events.add(event(c, status, reply));
      }
      metrics.count(status.wire());
    }
    return new Recorded(outcomes, events);
  }

  private DeliveryStore.Event event(DeliveryStore.Claimed c, DeliveryStatus status, SmtpReply r) {
    return new DeliveryStore.Event(c.messageId(), c.recipient(), status.wire(), details.reply(r));
  }

  private static DeliveryStore.Outcome outcome(
      DeliveryStore.Claimed c,
      DeliveryStatus status,
      Instant next,
      SmtpReply reply,
      String host,
      String category,
      boolean suppress) {
    return new DeliveryStore.Outcome(
        c.id(),
        c.messageId(),
        c.recipient(),
        status,
        next,
        reply.code(),
        reply.enhancedCode(),
        reply.text(),
        host,
        category,
        true,
        suppress);
  }

  /**
   * A failure inside the service (a bug, a corrupt row; not the database): never retried silently.
   * Each recipient gets a {@code failed_internal} event and is retried with the normal backoff,
   * until its {@code postwire.delivery.max-internal-failures}-th such failure ({@code earlier}
   * counts those before this one) makes it {@code failed} with {@code bounceCategory} {@code
   * internal_error} (API.md, "Message content").
   */
  Recorded internalFailure(DeliveryGroup group, Throwable failure, Map<String, Integer> earlier) {
    String error = SmtpReplies.printable(failure.toString(), 500);
    DeliveryStore.MessageData message = group.message();
    Instant now = Instant.now();
    List<DeliveryStore.Outcome> outcomes = new ArrayList<>();
    List<DeliveryStore.Event> events = new ArrayList<>();
    for (DeliveryStore.Claimed c : group.rows()) {
      int failures = earlier.getOrDefault(c.recipient(), 0) + 1;
      LOG.errorf(
          failure,
          "Delivery of message %s to %s failed inside the service (%d of %d)",
          c.messageId(),
          c.recipient(),
          failures,
          config.maxInternalFailures());
      events.add(
          new DeliveryStore.Event(
              c.messageId(),
              c.recipient(),
              "failed_internal",
              details.internalFailure(error, failures)));
      metrics.count("internal_error");
      String text = "internal error: " + error;
      Instant next = now.plus(retry.next(c.attempts() + 1, Optional.empty()));
      if (failures >= config.maxInternalFailures()) {
        outcomes.add(internal(c, DeliveryStatus.FAILED, null, text, "internal_error"));
        events.add(ended(c, DeliveryStatus.FAILED, "internal_error"));
      } else if (message != null && !next.isBefore(message.expiresAt())) {
        outcomes.add(internal(c, DeliveryStatus.EXPIRED, null, text, "expired"));
        events.add(ended(c, DeliveryStatus.EXPIRED, "expired"));
      } else {
        outcomes.add(internal(c, DeliveryStatus.DEFERRED, next, text, null));
      }
    }
    return new Recorded(outcomes, events);
  }

  private DeliveryStore.Event ended(DeliveryStore.Claimed c, DeliveryStatus status, String why) {
    metrics.count(status.wire());
    return new DeliveryStore.Event(
        c.messageId(), c.recipient(), status.wire(), details.reason(why));
  }

  private static DeliveryStore.Outcome internal(
      DeliveryStore.Claimed c, DeliveryStatus status, Instant next, String text, String category) {
    return new DeliveryStore.Outcome(
        c.id(),
        c.messageId(),
        c.recipient(),
        status,
        next,
        null,
        null,
        text,
        null,
        category,
        true,
        false);
  }
}

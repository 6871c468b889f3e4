package io.postwire.inbound;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postwire.delivery.BounceClassifier;
import io.postwire.delivery.smtp.SmtpReply;
import io.postwire.platform.Json;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * What a report means for the delivery it names (API.md "Inbound mail"): a failed DSN bounces the
 * recipient (classified as synchronous bounces are, suppressed as they are), a delayed one is a
 * {@code deferred} event, a bounce without a report part likewise from its text, an auto-reply is
 * an {@code auto_replied} event and never a bounce, a feedback report a {@code complained} event
 * with a {@code complaint} suppression. A DSN whose recipient is not the delivery's is ignored, so
 * a report cannot touch a recipient its address does not name. Reading the message happens on a
 * worker thread.
 */
@ApplicationScoped
public class Reports {

  private static final Logger LOG = Logger.getLogger(Reports.class);
  private static final Pattern STATUS = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");
  private static final Pattern REPLY_CODE = Pattern.compile("^\\s*([245]\\d\\d)\\b");

  private final ReportReader reader;
  private final InboundStore store;
  private final InboundMetrics metrics;
  private final ObjectMapper mapper;
  private final InboundConfig config;

  public Reports(
      ReportReader reader,
      InboundStore store,
      InboundMetrics metrics,
      Json json,
      InboundConfig config) {
    this.config = config;
    this.reader = reader;
    this.store = store;
    this.metrics = metrics;
    this.mapper = json.mapper();
  }

  /** The findings of a received message, read on a worker thread. */
  Uni<List<Finding>> read(byte[] content) {
    return Uni.createFrom()
        .item(() -> reader.read(content))
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  /** Applies every finding to the delivery they concern; completes once all are committed. */
  Uni<Void> apply(InboundStore.Delivery delivery, List<Finding> findings) {
    return Multi.createFrom()
        .iterable(findings)
        .onItem()
        .transformToUniAndConcatenate(f -> apply(delivery, f))
        .collect()
        .last()
        .replaceWithVoid();
  }

  private Uni<Void> apply(InboundStore.Delivery d, Finding finding) {
    if (finding instanceof Finding.Dsn dsn) {
      return dsn(d, dsn);
    }
    if (finding instanceof Finding.AutoReply reply) {
      ObjectNode detail = mapper.createObjectNode();
      detail.put("reason", printable(reply.reason(), 256));
      return counted(
          "auto_reply", store.event(d.id(), d.recipient(), "auto_replied", text(detail)));
    }
    if (finding instanceof Finding.Complaint complaint) {
      return complaint(d, complaint);
    }
    LOG.debugf("Inbound mail for delivery %d not used: %s", d.id(), finding);
    metrics.count("unrecognized");
    return Uni.createFrom().voidItem();
  }

  private Uni<Void> dsn(InboundStore.Delivery d, Finding.Dsn dsn) {
    if (!concerns(dsn, d.recipient())) {
      metrics.count("ignored");
      return Uni.createFrom().voidItem();
    }
    String kind = dsn.standard() ? "dsn" : "nonstandard_bounce";
    String status = status(dsn.status(), dsn.failed());
    String diagnostic = printable(dsn.diagnosticCode(), SmtpReply.MAX_TEXT);
    String remoteMta = printable(dsn.remoteMta(), 255);
    ObjectNode dsnNode = mapper.createObjectNode();
    dsnNode.put("status", status);
    dsnNode.put("diagnosticCode", diagnostic);
    dsnNode.put("remoteMta", remoteMta);
    if (!dsn.failed()) {
      ObjectNode detail = mapper.createObjectNode();
      detail.set("dsn", dsnNode);
      return counted(kind, store.event(d.id(), d.recipient(), "deferred", text(detail)));
    }
    int code = replyCode(diagnostic, status);
    return bounce(
        d,
        new SmtpReply(code, status, diagnostic == null ? status : diagnostic),
        remoteMta,
        dsnNode,
        kind);
  }

  private Uni<Void> bounce(
      InboundStore.Delivery d, SmtpReply reply, String host, ObjectNode dsn, String kind) {
    BounceClassifier.Classification cls = BounceClassifier.classify(reply);
    ObjectNode detail = mapper.createObjectNode();
    detail.put("code", reply.code());
    detail.put("enhancedCode", reply.enhancedCode());
    detail.put("text", reply.text());
    detail.put("category", cls.category());
    detail.put("async", true);
    detail.set("dsn", dsn);
    String suppressed =
        cls.suppressAddress() ? text(mapper.createObjectNode().put("reason", "hard_bounce")) : null;
    // an attempt still in flight writes its outcome first (usually within milliseconds); past
    // the wait the report fails, the listener answers 451 and the sender tries again later
    return counted(
        kind,
        store
            .bounce(
                d.id(),
                d.recipient(),
                cls.category(),
                reply.code(),
                reply.enhancedCode(),
                reply.text(),
                host,
                text(detail),
                suppressed)
            .onFailure(InboundStore.AttemptInFlight.class)
            .retry()
            .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(1))
            .expireIn(config.inFlightWait().toMillis()));
  }

  private Uni<Void> complaint(InboundStore.Delivery d, Finding.Complaint complaint) {
    if (complaint.originalRcptTo() != null
        && !sameAddress(complaint.originalRcptTo(), d.recipient())) {
      metrics.count("ignored");
      return Uni.createFrom().voidItem();
    }
    ObjectNode detail = mapper.createObjectNode();
    detail.put("feedbackType", printable(complaint.feedbackType(), 64));
    detail.put("userAgent", printable(complaint.userAgent(), 256));
    return counted("complaint", store.complaint(d.id(), d.recipient(), text(detail)));
  }

  private Uni<Void> counted(String kind, Uni<Boolean> write) {
    return write.invoke(() -> metrics.count(kind)).replaceWithVoid();
  }

  /** The reply code a diagnostic starts with ({@code 550 5.1.1 …}), else the status's class. */
  static int replyCode(String diagnostic, String status) {
    if (diagnostic != null) {
      Matcher m = REPLY_CODE.matcher(diagnostic);
      if (m.find() && m.group(1).charAt(0) == status.charAt(0)) {
        return Integer.parseInt(m.group(1));
      }
    }
    return status.startsWith("5") ? 550 : 450;
  }

  /**
   * Whether a report block is about {@code recipient}. RFC 3464 §2.3.2: Final-Recipient names whom
   * the report is about; another recipient's report (or a forged one) must not change this
   * delivery. A bounce without a report part that names no address is about the recipient its VERP
   * address names.
   */
  static boolean concerns(Finding.Dsn dsn, String recipient) {
    if (!dsn.standard() && dsn.finalRecipient() == null) {
      return true;
    }
    return sameAddress(dsn.finalRecipient(), recipient)
        || sameAddress(dsn.originalRecipient(), recipient);
  }

  static boolean sameAddress(String a, String b) {
    return a != null
        && b != null
        && a.strip().toLowerCase(Locale.ROOT).equals(b.strip().toLowerCase(Locale.ROOT));
  }

  /**
   * The RFC 3463 status of a report, or the class's generic one when it gives none or something
   * else ({@code 5.0.0} for a failure, {@code 4.0.0} for a delay).
   */
  static String status(String given, boolean failed) {
    String fallback = failed ? "5.0.0" : "4.0.0";
    if (given == null) {
      return fallback;
    }
    String s = given.strip();
    return STATUS.matcher(s).matches() && (s.charAt(0) == '5') == failed ? s : fallback;
  }

  /**
   * Text from a report made safe to store: control characters (NUL, which PostgreSQL text and jsonb
   * refuse, among them) become spaces, and it is cut at {@code max} characters.
   */
  static String printable(String s, int max) {
    if (s == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(Math.min(s.length(), max));
    for (int i = 0; i < s.length() && out.length() < max; i++) {
      char c = s.charAt(i);
      out.append(Character.isISOControl(c) || Character.isSurrogate(c) ? ' ' : c);
    }
    return out.toString().strip();
  }

  private String text(ObjectNode node) {
    try {
      return mapper.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write an event detail", e);
    }
  }
}

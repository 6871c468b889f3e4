package io.postwire.inboxtest;

import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.inbound.InboundConfig;
import io.postwire.inbound.InboundMail;
import io.postwire.inbound.InboundMailbox;
import io.postwire.platform.Json;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The inbound mailbox of inbox tests: {@code check-<token>@<postwire.inbound.domain>}. The first
 * message for a live test is evaluated ({@link InboxEvaluator}) and its report stored; later
 * messages, and mail for a token that is unknown or expired, are accepted and counted, never
 * refused, so no sender retries them. A failure while evaluating or storing fails the {@code Uni}:
 * the listener answers 451 and the sender retries, and the meter and the log say so.
 */
@ApplicationScoped
public class InboxTestMailbox implements InboundMailbox {

  private static final Logger LOG = Logger.getLogger(InboxTestMailbox.class);

  /** The local part's prefix; the token after it is {@link InboxTokens#LENGTH} base32 letters. */
  static final String PREFIX = "check-";

  private static final Pattern LOCAL_PART =
      Pattern.compile(PREFIX + "[a-z2-7]{" + InboxTokens.LENGTH + "}");

  /** Larger content is not evaluated (the listener's own limit is far below this). */
  static final int MAX_CONTENT_BYTES = 64 * 1024 * 1024;

  private final InboundConfig inbound;
  private final InboxTestStore store;
  private final InboxEvaluator evaluator;
  private final Json json;
  private final MeterRegistry meters;
  private final Clock clock;

  public InboxTestMailbox(
      InboundConfig inbound,
      InboxTestStore store,
      InboxEvaluator evaluator,
      Json json,
      MeterRegistry meters) {
    this.inbound = inbound;
    this.store = store;
    this.evaluator = evaluator;
    this.json = json;
    this.meters = meters;
    this.clock = Clock.systemUTC();
  }

  @Override
  public String kind() {
    return "inbox_test";
  }

  @Override
  public boolean accepts(String localPart, String domain) {
    return inbound
            .domain()
            .map(d -> d.strip().toLowerCase(Locale.ROOT).equals(domain.toLowerCase(Locale.ROOT)))
            .orElse(false)
        && LOCAL_PART.matcher(localPart.toLowerCase(Locale.ROOT)).matches();
  }

  @Override
  public Uni<Void> receive(InboundMail mail) {
    if (!accepts(mail.localPart(), mail.domain())) {
      count("not_ours");
      return Uni.createFrom().voidItem();
    }
    String token = mail.localPart().substring(PREFIX.length()).toLowerCase(Locale.ROOT);
    if (mail.content().length > MAX_CONTENT_BYTES) {
      count("too_large");
      return Uni.createFrom().voidItem();
    }
    return store
        .liveness(token)
        .chain(
            live -> {
              if (live == InboxTestStore.Liveness.UNKNOWN) {
                count("unknown");
                return Uni.createFrom().voidItem();
              }
              if (live == InboxTestStore.Liveness.RECEIVED) {
                count("duplicate");
                return Uni.createFrom().voidItem();
              }
              return evaluator
                  .evaluate(mail, clock.instant())
                  .map(report -> new String(json.write(report), StandardCharsets.UTF_8))
                  .chain(text -> store.saveReport(token, text))
                  .invoke(stored -> count(stored ? "stored" : "duplicate"))
                  .replaceWithVoid();
            })
        .onFailure()
        .invoke(
            failure -> {
              count("failed");
              LOG.errorf(
                  failure,
                  "inbox test %s…: evaluating or storing the report failed; the sender is asked to"
                      + " retry",
                  token.substring(0, 6));
            });
  }

  private void count(String outcome) {
    meters.counter("postwire.inbox.tests.received", "outcome", outcome).increment();
  }
}

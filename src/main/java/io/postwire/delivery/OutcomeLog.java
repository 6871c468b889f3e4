package io.postwire.delivery;

import java.util.List;
import org.jboss.logging.Logger;

/**
 * Logs every recorded delivery outcome (delivered, deferred, bounced, expired, failed) at INFO
 * under the category {@code io.postwire.delivery.outcomes}, one line per recipient, once the
 * outcome is stored: an operator can follow deferrals and bounces in the log alone, or route or
 * silence them by that category.
 */
final class OutcomeLog {

  /** The documented log category (README, Configuration). */
  static final String CATEGORY = "io.postwire.delivery.outcomes";

  private static final Logger LOG = Logger.getLogger(CATEGORY);

  private OutcomeLog() {}

  static void recorded(List<DeliveryStore.Outcome> outcomes) {
    if (!LOG.isInfoEnabled()) {
      return;
    }
    for (DeliveryStore.Outcome o : outcomes) {
      LOG.infof(
          "message=%s recipient=%s status=%s code=%s enhanced=%s host=%s category=%s text=%s",
          o.messageId(),
          o.recipient(),
          o.status().wire(),
          o.code() == null ? "-" : o.code(),
          o.enhancedCode() == null ? "-" : o.enhancedCode(),
          o.host() == null ? "-" : o.host(),
          o.bounceCategory() == null ? "-" : o.bounceCategory(),
          o.text() == null ? "-" : printable(o.text()));
    }
  }

  /** A remote reply is untrusted text: one line, no control characters, bounded. */
  private static String printable(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), 300));
    for (int i = 0; i < text.length() && out.length() < 300; i++) {
      char c = text.charAt(i);
      out.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    return out.toString();
  }
}

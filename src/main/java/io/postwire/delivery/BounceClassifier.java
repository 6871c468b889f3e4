package io.postwire.delivery;

import io.postwire.delivery.smtp.SmtpReply;

/**
 * Maps a permanent failure to a bounce category from its RFC 3463 enhanced status code (parsed from
 * the reply text), falling back to the basic reply code and the text.
 */
public final class BounceClassifier {

  private BounceClassifier() {}

  /** A category and whether the address itself is dead (and belongs on the suppression list). */
  public record Classification(String category, boolean suppressAddress) {}

  public static Classification classify(SmtpReply reply) {
    if (MxRouter.EGRESS_REFUSED.equals(reply)) {
      // our own refusal: the address may be fine, the operator's allow list may change
      return new Classification("bad_domain", false);
    }
    String enhanced = reply.enhancedCode();
    if (enhanced != null) {
      String[] parts = enhanced.split("\\.");
      if (parts.length == 3) {
        String subject = parts[1];
        String detail = parts[2];
        switch (subject) {
          case "1":
            // RFC 3463 §3.2 addressing status: x.1.1 bad mailbox, x.1.2 bad system, x.1.3 syntax,
            // x.1.6 moved, x.1.10 null MX (RFC 7505)
            return switch (detail) {
              case "1", "3", "6" -> new Classification("invalid_recipient", true);
              case "2", "10" -> new Classification("bad_domain", true);
              default -> new Classification("invalid_recipient", false);
            };
          case "2":
            // §3.3 mailbox status: x.2.1 disabled, x.2.2 full, x.2.3 message too big for it
            return switch (detail) {
              case "1" -> new Classification("inactive_mailbox", true);
              case "2" -> new Classification("quota", false);
              case "3" -> new Classification("content", false);
              default -> new Classification("other", false);
            };
          case "3":
            return detail.equals("4")
                ? new Classification("content", false)
                : new Classification("other", false);
          case "4":
            return detail.equals("4")
                ? new Classification("dns_failure", false)
                : new Classification("network", false);
          case "5":
            return new Classification("protocol", false);
          case "6":
            return new Classification("content", false);
          case "7":
            // §3.8 security or policy status: never the address's fault
            String text = reply.text() == null ? "" : reply.text().toLowerCase();
            boolean reputation =
                text.contains("reputation")
                    || text.contains("blocklist")
                    || text.contains("blacklist")
                    || text.contains("spamhaus")
                    || text.contains("listed")
                    || detail.equals("26");
            return new Classification(reputation ? "reputation" : "policy", false);
          default:
            return new Classification("other", false);
        }
      }
    }
    return switch (reply.code()) {
      case 550, 551, 553 -> new Classification("invalid_recipient", false);
      case 552 -> new Classification("quota", false);
      case 554 -> new Classification("policy", false);
      default -> new Classification("other", false);
    };
  }
}

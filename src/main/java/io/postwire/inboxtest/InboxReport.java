package io.postwire.inboxtest;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.postwire.check.Finding;
import io.postwire.check.SpamReport;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * How a receiving server sees one message (API.md, "Pre-send check and inbox test"): what is stored
 * as an inbox test's report and shown by {@code GET /v1/inbox-tests/{id}}. Every part is bounded:
 * at most {@code DkimVerifier.MAX_SIGNATURES} + 1 DKIM verdicts, reasons cut to {@link #MAX_TEXT}
 * characters.
 *
 * @param spf the SPF check of the envelope sender (or HELO) for the client address
 * @param dkim one verdict per DKIM-Signature, top to bottom
 * @param dmarc the From domain's DMARC evaluation
 * @param tls the TLS the sending client used, null when it sent in plaintext
 * @param spam SpamAssassin's verdict when {@code postwire.check.spamd} is set and answered, else
 *     null
 * @param findings the pre-send check's content findings on the message as received (at most {@link
 *     #MAX_FINDINGS})
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record InboxReport(
    Spf spf, List<Dkim> dkim, Dmarc dmarc, Tls tls, SpamReport spam, List<Finding> findings) {

  /** The longest reason or name kept in a report. */
  static final int MAX_TEXT = 300;

  /** Findings kept in a report; a message with more has more to fix than a report can list. */
  static final int MAX_FINDINGS = 50;

  /**
   * RFC 7208 {@code check_host()} for the client address.
   *
   * @param result pass, fail, softfail, neutral, none, temperror or permerror
   * @param domain the domain checked: the envelope sender's, or the HELO name for the null sender
   * @param explanation why, when there is something to say
   */
  @Schema(name = "InboxSpf")
  public record Spf(String result, String domain, String explanation) {}

  /**
   * One DKIM-Signature's verdict (RFC 6376, RFC 8601 result names).
   *
   * @param domain {@code d=}
   * @param selector {@code s=}
   * @param algorithm {@code a=}
   * @param result pass, fail, neutral, temperror or permerror
   * @param reason why, for anything but a pass
   */
  @Schema(name = "InboxDkim")
  public record Dkim(
      String domain, String selector, String algorithm, String result, String reason) {}

  /**
   * The DMARC evaluation (RFC 7489 §6.6).
   *
   * @param result pass, fail or none (no policy published); temperror when the policy lookup failed
   *     temporarily, permerror when the From field names no single domain
   * @param domain the From domain
   * @param policy the policy that applies to it ({@code p=}, or {@code sp=} for a subdomain of the
   *     organizational domain whose record was used), null without a record
   * @param alignment which identifiers pass and align with the From domain, and in which mode
   */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  @Schema(name = "InboxDmarc")
  public record Dmarc(String result, String domain, String policy, Alignment alignment) {}

  /**
   * Identifier alignment (RFC 7489 §3.1).
   *
   * @param spf whether SPF passed for a domain aligned with the From domain
   * @param dkim whether a DKIM signature passed for a domain aligned with the From domain
   * @param spfMode {@code relaxed} or {@code strict} ({@code aspf=})
   * @param dkimMode {@code relaxed} or {@code strict} ({@code adkim=})
   */
  @Schema(name = "InboxDmarcAlignment")
  public record Alignment(boolean spf, boolean dkim, String spfMode, String dkimMode) {}

  /**
   * The TLS of the SMTP session the message came in on.
   *
   * @param protocol e.g. {@code TLSv1.3}
   * @param cipher the cipher suite
   */
  @Schema(name = "InboxTls")
  public record Tls(String protocol, String cipher) {}

  /** Cuts a text from the network to what a report keeps. */
  static String bounded(String text) {
    if (text == null) {
      return null;
    }
    return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT - 1) + "…";
  }
}

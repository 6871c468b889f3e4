package io.postwire.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postwire.audit.Audit;
import io.postwire.audit.AuditService;
import io.postwire.audit.CheckResult;
import io.postwire.dkim.DkimKeyService;
import io.postwire.message.MessageService;
import io.postwire.message.Preview;
import io.postwire.message.RawSends;
import io.postwire.platform.Json;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The pre-send check: renders a JSON or raw send through the send's own path ({@link
 * MessageService#preview}, {@link RawSends#preview}: the same validation, scope refusals, rendering
 * and 8bit re-encoding, storing and sending nothing), then collects the content findings ({@link
 * ContentChecks}), the From domain's authentication (its latest audit, its DKIM keys, the alignment
 * of the envelope and DKIM domains) and spamd's verdict ({@link Spamd}) into a score.
 */
@ApplicationScoped
public class CheckService {

  private static final Logger LOG = Logger.getLogger(CheckService.class);

  /** Bodies and messages larger than this are decoded and parsed on a worker thread. */
  private static final int INLINE_LIMIT = 64 * 1024;

  /** What an error costs of the score of 100. */
  static final int ERROR_WEIGHT = 30;

  /** What a warning costs. */
  static final int WARNING_WEIGHT = 10;

  /** What one point of SpamAssassin score costs, up to {@link #SPAM_MAX}. */
  static final int SPAM_WEIGHT = 5;

  /** The most a spam score costs. */
  static final int SPAM_MAX = 50;

  private static final Session SESSION = Session.getInstance(new Properties());

  private final MessageService messages;
  private final RawSends rawSends;
  private final AuditService audits;
  private final DkimKeyService keys;
  private final Spamd spamd;
  private final CheckConfig config;
  private final Json json;

  public CheckService(
      MessageService messages,
      RawSends rawSends,
      AuditService audits,
      DkimKeyService keys,
      Spamd spamd,
      CheckConfig config,
      Json json) {
    this.messages = messages;
    this.rawSends = rawSends;
    this.audits = audits;
    this.keys = keys;
    this.spamd = spamd;
    this.config = config;
    this.json = json;
  }

  /** Checks a JSON send's body ({@code POST /v1/messages/check}); refusals as the send's. */
  public Uni<CheckReport> check(ApiPrincipal caller, byte[] body) {
    return decode(body)
        .chain(
            tree -> {
              boolean bulk = bulk(tree);
              return messages
                  .preview(caller, tree, body.length)
                  .chain(preview -> report(preview, bulk));
            });
  }

  /** Checks a raw send's body ({@code POST /v1/messages/raw/check}); refusals as the send's. */
  public Uni<CheckReport> checkRaw(ApiPrincipal caller, byte[] body) {
    return decode(body)
        .chain(
            tree -> {
              boolean bulk = bulk(tree);
              return rawSends
                  .preview(caller, tree, body.length)
                  .chain(preview -> report(preview, bulk));
            });
  }

  private Uni<JsonNode> decode(byte[] body) {
    Supplier<JsonNode> parse = () -> json.tree(body);
    Uni<JsonNode> tree = Uni.createFrom().item(parse);
    return body.length <= INLINE_LIMIT
        ? tree
        : tree.runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  /** Takes the check's own member {@code bulk} out of the body, which is then a send's. */
  private static boolean bulk(JsonNode tree) {
    if (!(tree instanceof ObjectNode object)) {
      return false;
    }
    JsonNode bulk = object.remove("bulk");
    if (bulk == null || bulk.isNull()) {
      return false;
    }
    if (!bulk.isBoolean()) {
      throw Refusal.field("validation_failed", "bulk", "must be true or false");
    }
    return bulk.booleanValue();
  }

  private Uni<CheckReport> report(Preview preview, boolean bulk) {
    byte[] bytes = preview.bytes();
    Uni<ContentChecks.Content> content =
        Uni.createFrom().item(() -> ContentChecks.inspect(bytes, bulk));
    if (bytes.length > INLINE_LIMIT) {
      content = content.runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }
    String domain = preview.from().domain();
    Uni<Audit> audit = audits.latest(domain);
    Uni<Boolean> hasKey =
        keys.views(List.of(domain))
            .map(
                byDomain ->
                    byDomain.getOrDefault(domain, List.of()).stream()
                        .anyMatch(k -> k.status().equals("active")));
    return Uni.combine()
        .all()
        .unis(content, audit, hasKey, spam(bytes))
        .with(
            (c, a, key, s) ->
                assemble(
                    preview, (ContentChecks.Content) c, (Audit) a, (Boolean) key, (SpamOutcome) s));
  }

  /** spamd's report, or why there is none (a finding), never a failure. */
  private record SpamOutcome(SpamReport report, Finding finding) {}

  private Uni<SpamOutcome> spam(byte[] bytes) {
    if (!spamd.configured()) {
      return Uni.createFrom().item(new SpamOutcome(null, null));
    }
    if (bytes.length > config.spamdMaxSize()) {
      return Uni.createFrom()
          .item(
              new SpamOutcome(
                  null,
                  Finding.info(
                      "spam_check_skipped",
                      "message",
                      "The message is "
                          + bytes.length
                          + " bytes, over postwire.check.spamd-max-size ("
                          + config.spamdMaxSize()
                          + "): SpamAssassin did not see it",
                      "Check a version without the large attachments")));
    }
    return spamd
        .check(bytes)
        .map(report -> new SpamOutcome(report, null))
        .onFailure()
        .recoverWithItem(
            e -> {
              LOG.warnf("Pre-send check without SpamAssassin: %s", e.getMessage());
              return new SpamOutcome(
                  null,
                  Finding.info(
                      "spam_check_unavailable",
                      "message",
                      "SpamAssassin gave no answer: " + e.getMessage(),
                      "Check that spamd runs at postwire.check.spamd, then check again"));
            });
  }

  private CheckReport assemble(
      Preview preview,
      ContentChecks.Content content,
      Audit audit,
      boolean hasKey,
      SpamOutcome spam) {
    List<Finding> findings = new ArrayList<>(content.findings());
    authenticationFindings(preview, audit, hasKey, findings);
    SpamReport report = spam.report();
    if (spam.finding() != null) {
      findings.add(spam.finding());
    }
    if (report != null && report.flagged()) {
      findings.add(
          Finding.error(
              "spam_score_high",
              "message",
              "SpamAssassin scores the message "
                  + report.score()
                  + " (spam from "
                  + report.threshold()
                  + ")",
              "Change what the rules in spam.rules fired on"));
    }
    findings.sort(Comparator.comparingInt(f -> rank(f.severity())));
    int score = score(findings, report);
    return new CheckReport(
        score,
        grade(score),
        List.copyOf(findings),
        report,
        authentication(audit),
        new CheckReport.Size(content.bytes(), content.clipsInGmail()));
  }

  private static void authenticationFindings(
      Preview preview, Audit audit, boolean hasKey, List<Finding> findings) {
    String domain = preview.from().domain();
    if (audit == null) {
      findings.add(
          Finding.info(
              "from_domain_not_audited",
              "from",
              domain + " has not been audited yet: SPF, DKIM and DMARC are unknown",
              "Run POST /v1/domains/" + domain + "/audit"));
    } else if (audit.status().equals("fail")) {
      List<String> failing = new ArrayList<>();
      for (CheckResult check : audit.checks()) {
        if (check.status().equals("fail")) {
          failing.add(check.name());
        }
      }
      findings.add(
          Finding.error(
              "from_domain_audit_failing",
              "from",
              "The latest DNS audit of " + domain + " fails: " + String.join(", ", failing),
              "Publish the records GET /v1/domains/" + domain + " lists, then audit again"));
    }
    if (!hasKey) {
      findings.add(
          Finding.error(
              "no_dkim_key",
              "from",
              domain + " has no active DKIM key: the message would go out unsigned",
              "Add a key: POST /v1/domains/" + domain + "/dkim-keys with \"activate\":true"));
    }
    // RFC 7489 §3.1.1: relaxed alignment is the same organizational domain
    Set<String> unaligned = new LinkedHashSet<>();
    boolean aligned = hasKey;
    for (String d : signingDomains(preview.bytes())) {
      if (ContentChecks.sameSite(d, domain)) {
        aligned = true;
      } else {
        unaligned.add(d);
      }
    }
    if (!unaligned.isEmpty()) {
      String names = String.join(", ", unaligned);
      findings.add(
          aligned
              ? Finding.warning(
                  "dkim_not_aligned",
                  "message",
                  "A DKIM signature by d="
                      + names
                      + " does not align with the From domain "
                      + domain
                      + " (Postwire's own signature does)",
                  "Sign as " + domain + " or leave the signing to Postwire")
              : Finding.error(
                  "dkim_not_aligned",
                  "message",
                  "No DKIM signature aligns with the From domain "
                      + domain
                      + " (signed by d="
                      + names
                      + "): DMARC fails unless SPF aligns",
                  "Sign as " + domain + ": give it an active DKIM key"));
    }
    if (preview.mailFrom() != null
        && !ContentChecks.sameSite(preview.mailFrom().domain(), domain)) {
      findings.add(
          Finding.warning(
              "spf_not_aligned",
              "mailFrom",
              "The envelope sender's domain "
                  + preview.mailFrom().domain()
                  + " does not align with the From domain "
                  + domain
                  + ": SPF cannot pass DMARC",
              "Use an envelope sender (mailFrom) under " + domain));
    }
  }

  /** The {@code d=} of every DKIM-Signature the message already carries. */
  static List<String> signingDomains(byte[] message) {
    List<String> domains = new ArrayList<>();
    try {
      String[] signatures =
          new MimeMessage(SESSION, new ByteArrayInputStream(message)).getHeader("DKIM-Signature");
      if (signatures == null) {
        return domains;
      }
      for (String signature : signatures) {
        for (String tag : signature.replaceAll("\\s+", "").split(";")) {
          if (tag.startsWith("d=") && tag.length() > 2) {
            domains.add(tag.substring(2).toLowerCase(Locale.ROOT));
          }
        }
      }
    } catch (MessagingException | RuntimeException e) {
      // a message no parser reads is mime_invalid already
    }
    return domains;
  }

  private static CheckReport.Authentication authentication(Audit audit) {
    if (audit == null) {
      return new CheckReport.Authentication(null, null, null, null);
    }
    return new CheckReport.Authentication(
        status(audit, "spf"), status(audit, "dkim"), status(audit, "dmarc"), audit.status());
  }

  private static String status(Audit audit, String name) {
    for (CheckResult check : audit.checks()) {
      if (check.name().equals(name)) {
        return check.status();
      }
    }
    return null;
  }

  private static int rank(String severity) {
    return switch (severity) {
      case Finding.ERROR -> 0;
      case Finding.WARNING -> 1;
      default -> 2;
    };
  }

  /**
   * The score: 100, less {@value #ERROR_WEIGHT} per error and {@value #WARNING_WEIGHT} per warning
   * (info findings cost nothing), less {@value #SPAM_WEIGHT} per point of a positive SpamAssassin
   * score up to {@value #SPAM_MAX}; at least 0.
   */
  static int score(List<Finding> findings, SpamReport spam) {
    int score = 100;
    for (Finding f : findings) {
      score -=
          switch (f.severity()) {
            case Finding.ERROR -> ERROR_WEIGHT;
            case Finding.WARNING -> WARNING_WEIGHT;
            default -> 0;
          };
    }
    if (spam != null && spam.score() > 0) {
      score -= (int) Math.min(SPAM_MAX, Math.round(spam.score() * SPAM_WEIGHT));
    }
    return Math.max(0, score);
  }

  /** The grade: A from 90, B from 80, C from 65, D from 50, else F. */
  static String grade(int score) {
    if (score >= 90) {
      return "A";
    }
    if (score >= 80) {
      return "B";
    }
    if (score >= 65) {
      return "C";
    }
    if (score >= 50) {
      return "D";
    }
    return "F";
  }
}

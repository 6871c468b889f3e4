package io.postwire.inboxtest;

import com.google.common.net.InetAddresses;
import com.google.common.net.InternetDomainName;
import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.check.ContentChecks;
import io.postwire.check.Finding;
import io.postwire.check.SpamReport;
import io.postwire.check.Spamd;
import io.postwire.dkim.DkimVerifier;
import io.postwire.dkim.DkimVerifier.Verdict;
import io.postwire.dns.DmarcRecord;
import io.postwire.dns.Dns;
import io.postwire.dns.DnsTemporaryException;
import io.postwire.dns.SpfEvaluator;
import io.postwire.dns.SpfResult;
import io.postwire.domain.DomainNames;
import io.postwire.inbound.InboundMail;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Evaluates a received message as a receiving server would (API.md, "Pre-send check and inbox
 * test"): SPF {@code check_host()} for the client address and the envelope sender (RFC 7208), every
 * DKIM signature (RFC 6376, through {@link DkimVerifier}), DMARC with identifier alignment and the
 * policy that applies (RFC 7489), the session's TLS, SpamAssassin's verdict when spamd is
 * configured, and the pre-send check's content findings. Lookups go through the service's {@link
 * Dns}; parsing and crypto run on the worker pool.
 */
@ApplicationScoped
public class InboxEvaluator {

  /** The header section read for the From field: a larger one is not a header a reader sees. */
  static final int MAX_HEADER_BYTES = 256 * 1024;

  private final Function<String, Uni<List<String>>> txt;
  private final SpfEvaluator spf;
  private final DkimVerifier dkim;
  private final Executor cpu;
  private final Spamd spamd;
  private final MeterRegistry meters;

  @Inject
  public InboxEvaluator(Dns dns, SpfEvaluator spf, Spamd spamd, MeterRegistry meters) {
    this(dns::txt, spf, spamd, meters, Infrastructure.getDefaultWorkerPool());
  }

  InboxEvaluator(
      Function<String, Uni<List<String>>> txt,
      SpfEvaluator spf,
      Spamd spamd,
      MeterRegistry meters,
      Executor cpu) {
    this.txt = txt;
    this.spf = spf;
    this.dkim = new DkimVerifier(txt, cpu);
    this.cpu = cpu;
    this.spamd = spamd;
    this.meters = meters;
  }

  /** The report on {@code mail}; DNS failures become temperror results, never a failed Uni. */
  public Uni<InboxReport> evaluate(InboundMail mail, Instant now) {
    String spfDomain = spfDomain(mail);
    Uni<InboxReport.Spf> spfCheck = spf(mail, spfDomain);
    Uni<List<Verdict>> signatures = dkim.verify(mail.content(), now);
    Uni<String> fromDomain =
        Uni.createFrom().item(() -> fromDomain(mail.content())).runSubscriptionOn(cpu);
    Uni<List<Finding>> findings =
        Uni.createFrom().item(() -> findings(mail.content())).runSubscriptionOn(cpu);
    Uni<SpamReport> spam = spam(mail.content());
    return Uni.combine()
        .all()
        .unis(spfCheck, signatures, fromDomain, findings, spam)
        .asTuple()
        .chain(
            t ->
                dmarc(t.getItem3(), t.getItem1(), t.getItem2())
                    .map(
                        dmarc ->
                            new InboxReport(
                                t.getItem1(),
                                t.getItem2().stream().map(InboxEvaluator::dkimEntry).toList(),
                                dmarc,
                                mail.tlsProtocol() == null
                                    ? null
                                    : new InboxReport.Tls(
                                        InboxReport.bounded(mail.tlsProtocol()),
                                        InboxReport.bounded(mail.tlsCipher())),
                                t.getItem5(),
                                t.getItem4())));
  }

  /** The pre-send check's content findings, the first {@link InboxReport#MAX_FINDINGS}. */
  private static List<Finding> findings(byte[] content) {
    List<Finding> all = ContentChecks.check(content);
    return all.size() <= InboxReport.MAX_FINDINGS
        ? all
        : List.copyOf(all.subList(0, InboxReport.MAX_FINDINGS));
  }

  /**
   * spamd's verdict, null without one; spamd not answering leaves the report without it (the meter
   * counts it) rather than failing the whole report.
   */
  private Uni<SpamReport> spam(byte[] content) {
    if (!spamd.configured()) {
      return Uni.createFrom().nullItem();
    }
    return spamd
        .check(content)
        .onFailure()
        .recoverWithItem(
            failure -> {
              meters.counter("postwire.inbox.tests.spamd.failures").increment();
              return null;
            });
  }

  /** The domain SPF checks (RFC 7208 §2.4): the sender's, or the HELO name for the null sender. */
  static String spfDomain(InboundMail mail) {
    String from = mail.mailFrom();
    if (from == null || from.isEmpty()) {
      return lower(mail.helo());
    }
    return lower(from.substring(from.lastIndexOf('@') + 1));
  }

  private Uni<InboxReport.Spf> spf(InboundMail mail, String domain) {
    InetAddress ip;
    try {
      // A literal only: nothing here may resolve a name.
      ip = InetAddresses.forString(mail.clientAddress());
    } catch (IllegalArgumentException | NullPointerException e) {
      return Uni.createFrom()
          .item(new InboxReport.Spf("permerror", domain, "client address is not an IP address"));
    }
    return spf.checkMailFrom(ip, mail.mailFrom(), mail.helo() == null ? "" : mail.helo())
        .map(
            r ->
                new InboxReport.Spf(
                    r.result().wireName(), domain, InboxReport.bounded(r.explanation())))
        .onFailure()
        .recoverWithItem(
            e ->
                new InboxReport.Spf(
                    SpfResult.Result.TEMPERROR.wireName(),
                    domain,
                    InboxReport.bounded(String.valueOf(e.getMessage()))));
  }

  private static InboxReport.Dkim dkimEntry(Verdict v) {
    return new InboxReport.Dkim(
        InboxReport.bounded(v.domain()),
        InboxReport.bounded(v.selector()),
        InboxReport.bounded(v.algorithm()),
        v.result().wireName(),
        v.reason().isEmpty() ? null : InboxReport.bounded(v.reason()));
  }

  /**
   * RFC 7489 §6.6: the policy record at the From domain, else at its organizational domain; pass
   * when SPF or DKIM passes for an aligned domain.
   */
  private Uni<InboxReport.Dmarc> dmarc(
      String from, InboxReport.Spf spfResult, List<Verdict> signatures) {
    if (from == null) {
      return Uni.createFrom()
          .item(
              new InboxReport.Dmarc(
                  "permerror", null, null, alignment(null, null, spfResult, signatures)));
    }
    String org = organizationalDomain(from);
    return policy(from)
        .chain(
            atFrom -> {
              if (atFrom.isEmpty() && !org.equals(from)) {
                return policy(org).map(atOrg -> new Found(atOrg, true));
              }
              return Uni.createFrom().item(new Found(atFrom, false));
            })
        .map(
            found -> {
              if (found.records.size() != 1) {
                // none, or several (§6.6.3: then no DMARC processing applies)
                return new InboxReport.Dmarc(
                    "none", from, null, alignment(from, null, spfResult, signatures));
              }
              DmarcRecord record = found.records.get(0);
              String policy = found.atOrganization ? record.subdomainPolicy() : record.policy();
              InboxReport.Alignment alignment = alignment(from, record, spfResult, signatures);
              return new InboxReport.Dmarc(
                  alignment.spf() || alignment.dkim() ? "pass" : "fail",
                  from,
                  policy.isEmpty() ? "none" : policy,
                  alignment);
            })
        .onFailure(DnsTemporaryException.class)
        .recoverWithItem(
            e ->
                new InboxReport.Dmarc(
                    "temperror", from, null, alignment(from, null, spfResult, signatures)));
  }

  private record Found(List<DmarcRecord> records, boolean atOrganization) {}

  /** The DMARC records at {@code _dmarc.<domain>}; TXT records that are not DMARC are skipped. */
  private Uni<List<DmarcRecord>> policy(String domain) {
    return txt.apply("_dmarc." + domain)
        .map(
            texts -> {
              List<DmarcRecord> records = new ArrayList<>();
              for (String text : texts) {
                try {
                  records.add(DmarcRecord.parse(text));
                } catch (IllegalArgumentException notDmarc) {
                  // §6.6.3: records not starting with v=DMARC1 are discarded
                }
              }
              return records;
            });
  }

  private static InboxReport.Alignment alignment(
      String from, DmarcRecord record, InboxReport.Spf spfResult, List<Verdict> signatures) {
    boolean strictSpf = record != null && record.spfAlignment().equals("s");
    boolean strictDkim = record != null && record.dkimAlignment().equals("s");
    boolean spfAligned =
        from != null
            && spfResult.result().equals("pass")
            && aligned(spfResult.domain(), from, strictSpf);
    boolean dkimAligned = false;
    for (Verdict v : signatures) {
      if (from != null
          && v.result() == DkimVerifier.Result.PASS
          && aligned(v.domain(), from, strictDkim)) {
        dkimAligned = true;
      }
    }
    return new InboxReport.Alignment(
        spfAligned,
        dkimAligned,
        strictSpf ? "strict" : "relaxed",
        strictDkim ? "strict" : "relaxed");
  }

  /** RFC 7489 §3.1: strict is the same name, relaxed the same organizational domain. */
  static boolean aligned(String domain, String from, boolean strict) {
    if (domain == null || domain.isEmpty()) {
      return false;
    }
    String d = lower(domain);
    return strict ? d.equals(from) : organizationalDomain(d).equals(organizationalDomain(from));
  }

  /**
   * The organizational domain (RFC 7489 §3.2): one label under the public suffix, as the audit's
   * DMARC check finds it; a name the list does not know is its own organization.
   */
  static String organizationalDomain(String domain) {
    try {
      InternetDomainName name = InternetDomainName.from(domain);
      if (name.isUnderPublicSuffix()) {
        return name.topPrivateDomain().toString().toLowerCase(Locale.ROOT);
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      // not a name the list knows
    }
    return domain.toLowerCase(Locale.ROOT);
  }

  /**
   * The domain of the message's one From address (RFC 7489 §6.6.1), A-label, lower case; null when
   * there is no From field, more than one, or it names no single address.
   */
  static String fromDomain(byte[] message) {
    List<String> froms = fromFields(message);
    if (froms.size() != 1) {
      return null;
    }
    try {
      InternetAddress[] addresses = InternetAddress.parseHeader(froms.get(0), false);
      if (addresses.length != 1 || addresses[0].getAddress() == null) {
        return null;
      }
      String address = addresses[0].getAddress();
      int at = address.lastIndexOf('@');
      return at < 0 ? null : DomainNames.normalize(address.substring(at + 1));
    } catch (AddressException e) {
      return null;
    }
  }

  /** The unfolded values of the From fields in the header section (bounded). */
  static List<String> fromFields(byte[] m) {
    int limit = Math.min(m.length, MAX_HEADER_BYTES);
    List<String> values = new ArrayList<>();
    StringBuilder current = null;
    int pos = 0;
    while (pos < limit) {
      int eol = pos;
      while (eol < limit && m[eol] != '\n') {
        eol++;
      }
      int end = eol > pos && m[eol - 1] == '\r' ? eol - 1 : eol;
      if (end == pos) {
        break; // the empty line: the body starts
      }
      String line = new String(m, pos, end - pos, StandardCharsets.UTF_8);
      if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        if (current != null) {
          current.append(line);
        }
      } else {
        current = null;
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase("from")) {
          current = new StringBuilder(line.substring(colon + 1));
          values.add(null);
        }
      }
      if (current != null) {
        values.set(values.size() - 1, current.toString());
      }
      pos = eol + 1;
    }
    return values;
  }

  private static String lower(String s) {
    return s == null ? "" : s.toLowerCase(Locale.ROOT);
  }
}

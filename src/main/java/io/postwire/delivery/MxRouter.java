package io.postwire.delivery;

import io.postwire.delivery.smtp.HostLimits;
import io.postwire.delivery.smtp.SmtpReply;
import io.postwire.delivery.smtp.SmtpResult;
import io.postwire.delivery.smtp.SmtpTransaction;
import io.postwire.delivery.smtp.SmtpTransport;
import io.postwire.dns.Dns;
import io.postwire.dns.DnsTemporaryException;
import io.postwire.dns.MtaStsPolicy;
import io.postwire.dns.MxHost;
import io.postwire.dns.MxResult;
import io.postwire.egress.EgressPolicy;
import io.postwire.mtasts.MtaStsPolicies;
import io.smallrye.mutiny.Uni;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Direct delivery to a domain's mail exchangers (RFC 5321 §5.1): MX records by preference (random
 * among equals, as {@link Dns} returns them), implicit MX when there is none, a null MX (RFC 7505)
 * bounced at once with 5.1.10 and no connection. Addresses come from our resolver and we connect to
 * the IP, giving the host name for TLS. A host that cannot be reached, or greets with 4xx, hands
 * over to the next address and host; a failed opportunistic STARTTLS is retried once in plaintext
 * on the same address. A host that said 421 is backed off ({@link HostBackoff}): skipped without a
 * connection until its wait is over, so a delivery whose every MX is backed off is deferred. An
 * enforced MTA-STS policy (RFC 8461) limits the hosts to those it names and requires verified TLS.
 * Addresses the {@link EgressPolicy} refuses are never connected to; a recipient whose every MX
 * address is refused is bounced with {@link #EGRESS_REFUSED}, which names neither host nor address.
 */
public class MxRouter {

  private static final Logger LOG = Logger.getLogger(MxRouter.class);

  /** At most this many addresses are tried in one attempt, so a long MX list cannot stall it. */
  static final int MAX_ADDRESSES = 6;

  /** The most MX host names tried by default in one attempt, failed lookups included. */
  public static final int MAX_HOSTS = 10;

  /**
   * The verdict when every address of every MX host is refused by the egress policy: permanent (RFC
   * 3463 X.1.2, the destination system cannot take the mail from us) and classified {@code
   * bad_domain} without suppressing the address, since the operator's allow list may change.
   */
  public static final SmtpReply EGRESS_REFUSED = new SmtpReply(550, "5.1.2", EgressPolicy.REFUSED);

  private final Dns dns;
  private final SmtpTransport transport;
  private final int port;
  private final HostBackoff backoff;
  private final TrafficShaping shaping;
  private final MtaStsPolicies mtaSts;
  private final EgressPolicy egress;
  private final int maxHosts;

  /**
   * @param mtaSts the recipient domains' MTA-STS policies, or {@code null} to ignore MTA-STS
   * @param egress which MX addresses may be connected to
   */
  public MxRouter(
      Dns dns,
      SmtpTransport transport,
      int port,
      HostBackoff backoff,
      TrafficShaping shaping,
      MtaStsPolicies mtaSts,
      EgressPolicy egress) {
    this(dns, transport, port, backoff, shaping, mtaSts, egress, MAX_HOSTS);
  }

  /**
   * @param maxHosts the most MX host names tried in one attempt: a long list of names that do not
   *     resolve costs a lookup each, so they count as much as names that were connected to
   */
  public MxRouter(
      Dns dns,
      SmtpTransport transport,
      int port,
      HostBackoff backoff,
      TrafficShaping shaping,
      MtaStsPolicies mtaSts,
      EgressPolicy egress,
      int maxHosts) {
    if (maxHosts < 1) {
      throw new IllegalArgumentException(
          "postwire.delivery.max-mx-hosts must be at least 1, got: " + maxHosts);
    }
    this.maxHosts = maxHosts;
    this.dns = dns;
    this.egress = egress;
    this.transport = transport;
    this.port = port;
    this.backoff = backoff;
    this.shaping = shaping;
    this.mtaSts = mtaSts;
  }

  public Uni<SmtpResult> deliver(
      String domain, String mailFrom, List<String> recipients, byte[] head, byte[] message) {
    return dns.mx(domain)
        .chain(
            mx -> {
              if (mx instanceof MxResult.NullMx) {
                return Uni.createFrom()
                    .item(
                        everyone(
                            domain,
                            recipients,
                            new SmtpReply(
                                0, "5.1.10", "the domain accepts no mail (null MX, RFC 7505)"),
                            true));
              }
              if (mx.hosts().isEmpty()) {
                return Uni.createFrom()
                    .item(
                        everyone(
                            domain,
                            recipients,
                            new SmtpReply(0, "5.1.10", "the domain cannot receive mail"),
                            true));
              }
              Uni<MtaStsPolicy> policy =
                  mtaSts == null ? Uni.createFrom().nullItem() : mtaSts.policy(domain);
              return policy.chain(
                  p -> route(domain, mx.hosts(), p, mailFrom, recipients, head, message));
            })
        .onFailure(DnsTemporaryException.class)
        .recoverWithItem(
            e ->
                everyone(
                    domain,
                    recipients,
                    new SmtpReply(0, "4.4.3", "DNS temporary failure: " + e.getMessage()),
                    false));
  }

  /**
   * RFC 8461 §4.1, §5: under an enforced policy only MX hosts matching it are used, and only over
   * TLS with a certificate valid for the MX name; in testing mode a mismatch is reported and the
   * mail goes as usual.
   */
  private Uni<SmtpResult> route(
      String domain,
      List<MxHost> hosts,
      MtaStsPolicy policy,
      String mailFrom,
      List<String> recipients,
      byte[] head,
      byte[] message) {
    boolean enforce = policy != null && policy.mode() == MtaStsPolicy.Mode.ENFORCE;
    List<MxHost> usable = hosts;
    if (policy != null && policy.mode() != MtaStsPolicy.Mode.NONE) {
      List<MxHost> matching = hosts.stream().filter(h -> policy.matches(h.host())).toList();
      if (matching.size() < hosts.size()) {
        LOG.infof(
            "MTA-STS (%s) of %s: MX hosts %s do not match its mx patterns %s",
            policy.mode().name().toLowerCase(Locale.ROOT),
            domain,
            hosts.stream().filter(h -> !policy.matches(h.host())).map(MxHost::host).toList(),
            policy.mx());
      }
      if (enforce) {
        usable = matching;
      }
    }
    if (usable.isEmpty()) {
      return Uni.createFrom()
          .item(
              everyone(
                  domain,
                  recipients,
                  new SmtpReply(
                      0,
                      "4.7.5",
                      "no MX host of "
                          + domain
                          + " matches its enforced MTA-STS policy (RFC 8461 §4.1)"),
                  false));
    }
    return tryHosts(
        new Route(domain, usable, enforce),
        0,
        new ArrayList<>(),
        mailFrom,
        recipients,
        head,
        message,
        null);
  }

  /**
   * The destination domain and its exchangers in the order they are tried; {@code verified} when an
   * enforced MTA-STS policy requires a verified certificate.
   */
  private record Route(String domain, List<MxHost> list, boolean verified) {
    MxHost get(int i) {
      return list.get(i);
    }

    int size() {
      return list.size();
    }
  }

  private Uni<SmtpResult> tryHosts(
      Route hosts,
      int index,
      List<String> tried,
      String mailFrom,
      List<String> recipients,
      byte[] head,
      byte[] message,
      SmtpResult last) {
    if (index >= hosts.size() || index >= maxHosts || tried.size() >= MAX_ADDRESSES) {
      return Uni.createFrom().item(last);
    }
    String host = hosts.get(index).host();
    return dns.addresses(host)
        .onFailure()
        .recoverWithItem(List.of())
        .chain(
            addresses -> {
              if (addresses.isEmpty()) {
                // a host without an address may have one later: that defers, whatever the
                // egress policy refused on other hosts
                SmtpResult noAddress =
                    last != null && !egressRefused(last)
                        ? last
                        : everyone(
                            host,
                            recipients,
                            new SmtpReply(0, "4.4.4", "MX host " + host + " has no address"),
                            false);
                return tryHosts(
                    hosts, index + 1, tried, mailFrom, recipients, head, message, noAddress);
              }
              List<InetAddress> permitted = egress.permitted(addresses);
              if (permitted.size() < addresses.size()) {
                // for the operator only: the API and events never show what was refused
                LOG.infof(
                    "egress policy: not connecting to %s of %s, MX host %s",
                    addresses.stream().filter(a -> !egress.permits(a)).toList(),
                    hosts.domain(),
                    host);
              }
              if (permitted.isEmpty()) {
                SmtpResult refused =
                    last != null
                        ? last
                        : everyone(hosts.domain(), recipients, EGRESS_REFUSED, true);
                return tryHosts(
                    hosts, index + 1, tried, mailFrom, recipients, head, message, refused);
              }
              return tryAddresses(
                  hosts, index, permitted, 0, tried, mailFrom, recipients, head, message, last);
            });
  }

  private Uni<SmtpResult> tryAddresses(
      Route hosts,
      int hostIndex,
      List<InetAddress> addresses,
      int addressIndex,
      List<String> tried,
      String mailFrom,
      List<String> recipients,
      byte[] head,
      byte[] message,
      SmtpResult last) {
    if (addressIndex >= addresses.size() || tried.size() >= MAX_ADDRESSES) {
      return tryHosts(hosts, hostIndex + 1, tried, mailFrom, recipients, head, message, last);
    }
    String host = hosts.get(hostIndex).host();
    String ip = addresses.get(addressIndex).getHostAddress();
    tried.add(ip);
    Optional<Duration> backedOff = backoff.remaining(ip);
    if (backedOff.isPresent()) {
      // Not connecting at all; should every host be backed off, the hint keeps the retry away
      // until the first of them may be tried again.
      long seconds = Math.max(1, backedOff.get().toSeconds());
      SmtpResult skipped =
          new SmtpResult(
              host,
              ip,
              false,
              replies(
                  recipients,
                  new SmtpReply(
                      0,
                      "4.4.5",
                      "host "
                          + host
                          + " ["
                          + ip
                          + "] backed off after 421, try again in "
                          + seconds
                          + " seconds")),
              0);
      SmtpResult best =
          last != null && !backedOffResult(last) && !egressRefused(last) ? last : skipped;
      return tryAddresses(
          hosts,
          hostIndex,
          addresses,
          addressIndex + 1,
          tried,
          mailFrom,
          recipients,
          head,
          message,
          best);
    }
    SmtpTransaction tx =
        new SmtpTransaction(
            host,
            ip,
            port,
            hosts.verified()
                ? SmtpTransaction.TlsPolicy.REQUIRED_VERIFIED
                : SmtpTransaction.TlsPolicy.OPPORTUNISTIC,
            mailFrom,
            recipients,
            head,
            message);
    HostLimits limits = shaping.limits(hosts.domain(), host);
    return transport
        .send(tx, limits)
        .chain(
            result -> {
              if (result.tlsFailed() && !hosts.verified()) {
                return transport.send(
                    new SmtpTransaction(
                        host,
                        ip,
                        port,
                        SmtpTransaction.TlsPolicy.NONE,
                        mailFrom,
                        recipients,
                        head,
                        message),
                    limits);
              }
              return Uni.createFrom().item(result);
            })
        .chain(
            result -> {
              if (greetedWith421(result)) {
                backoff.refused(ip);
              } else if (!unreachable(result)) {
                backoff.succeeded(ip);
              }
              if (unreachable(result)) {
                return tryAddresses(
                    hosts,
                    hostIndex,
                    addresses,
                    addressIndex + 1,
                    tried,
                    mailFrom,
                    recipients,
                    head,
                    message,
                    result);
              }
              return Uni.createFrom().item(result);
            });
  }

  /**
   * True when the host never took part in a transaction: no connection, or a transient failure
   * shared by every recipient before any RCPT was answered (a 4xx greeting, a dropped connection).
   */
  static boolean unreachable(SmtpResult result) {
    SmtpReply first = null;
    for (SmtpReply reply : result.recipients().values()) {
      if (!reply.transientFailure()) {
        return false;
      }
      if (first == null) {
        first = reply;
      } else if (first.code() != reply.code()
          || !String.valueOf(first.text()).equals(reply.text())) {
        return false;
      }
    }
    return first != null && (first.code() == 0 || first.code() == 421);
  }

  /** A 421 shared by every recipient before any took part: the host is closing on us. */
  static boolean greetedWith421(SmtpResult result) {
    if (!unreachable(result)) {
      return false;
    }
    return result.recipients().values().iterator().next().code() == 421;
  }

  private static boolean egressRefused(SmtpResult result) {
    return result.recipients().values().stream().allMatch(EGRESS_REFUSED::equals);
  }

  private static boolean backedOffResult(SmtpResult result) {
    return result.durationMs() == 0
        && result.recipients().values().stream().allMatch(r -> "4.4.5".equals(r.enhancedCode()));
  }

  private static Map<String, SmtpReply> replies(List<String> recipients, SmtpReply reply) {
    Map<String, SmtpReply> replies = new LinkedHashMap<>();
    for (String r : recipients) {
      replies.put(r, reply);
    }
    return replies;
  }

  private static SmtpResult everyone(
      String host, List<String> recipients, SmtpReply reply, boolean permanent) {
    Map<String, SmtpReply> replies = new LinkedHashMap<>();
    SmtpReply effective =
        permanent && reply.code() == 0
            ? new SmtpReply(0, reply.enhancedCode(), reply.text())
            : reply;
    for (String r : recipients) {
      replies.put(r, effective);
    }
    return new SmtpResult(host, null, false, replies, 0);
  }
}

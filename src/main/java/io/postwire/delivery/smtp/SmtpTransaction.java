package io.postwire.delivery.smtp;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One mail transaction for one destination host.
 *
 * @param host the host name we connect to (MX name or relay host); used for TLS SNI and certificate
 *     checks
 * @param address the IP address to connect to, already resolved by our own resolver (IPv4 or IPv6
 *     literal); {@code null} lets the transport resolve {@code host} itself (relay mode only)
 * @param port the TCP port
 * @param tls what TLS this transaction requires
 * @param mailFrom the envelope sender (RFC 5321 reverse-path), empty for the null sender
 * @param recipients the envelope recipients (RFC 5321 forward-paths), ASCII addresses
 * @param head header fields sent before {@code message} (the DKIM-Signature, shared by every
 *     transaction of the message), empty for none
 * @param message the message exactly as it must arrive after {@code head}: CRLF line ends, 7-bit,
 *     not dot-stuffed; the two are sent one after the other, never copied into one array
 */
public record SmtpTransaction(
    String host,
    String address,
    int port,
    TlsPolicy tls,
    String mailFrom,
    List<String> recipients,
    byte[] head,
    byte[] message) {

  private static final byte[] NO_HEAD = new byte[0];

  /** Compiled once: every relay transaction and every connection to an address asks. */
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /** A transaction; a null {@code head} is no head. */
  public SmtpTransaction {
    head = head == null ? NO_HEAD : head;
  }

  /** A transaction whose message has no separate head. */
  public SmtpTransaction(
      String host,
      String address,
      int port,
      TlsPolicy tls,
      String mailFrom,
      List<String> recipients,
      byte[] message) {
    this(host, address, port, tls, mailFrom, recipients, NO_HEAD, message);
  }

  /** The octets of the message on the wire before dot-stuffing: head and message. */
  public long size() {
    return (long) head.length + (message == null ? 0 : message.length);
  }

  /** The address the transaction connects to: its IP literal, or the relay's name. */
  String addressOrHost() {
    return address == null ? host : address;
  }

  /** Whether {@code host} is an IPv4 or IPv6 literal rather than a name. */
  static boolean isIpLiteral(String host) {
    return host.contains(":") || IPV4.matcher(host).matches();
  }

  /** How much TLS the transaction needs. */
  public enum TlsPolicy {
    /** Never STARTTLS. */
    NONE,
    /** STARTTLS when offered, no certificate check; plaintext if the server offers none. */
    OPPORTUNISTIC,
    /**
     * STARTTLS required, no certificate check (relay {@code starttls=required} with {@code
     * verify-certificate=false}).
     */
    REQUIRED,
    /**
     * STARTTLS required with a certificate valid for {@link #host()} (MTA-STS enforce, relay {@code
     * starttls=required}).
     */
    REQUIRED_VERIFIED
  }
}

package io.postwire.delivery.smtp;

import java.util.List;

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
 * @param message the message exactly as it must arrive: CRLF line ends, 7-bit, not dot-stuffed
 */
public record SmtpTransaction(
    String host,
    String address,
    int port,
    TlsPolicy tls,
    String mailFrom,
    List<String> recipients,
    byte[] message) {

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

package io.postwire.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How the service's one resolver is built: which servers it asks, how long it waits, how many
 * answers it keeps.
 *
 * @param servers the recursive resolvers to ask, in order; empty means the system's resolvers
 * @param timeout how long one query may take before it counts as a temporary failure
 * @param cacheSize the most answers the cache keeps (0 disables caching)
 * @param cacheMaxBytes the most bytes the cached answers may take together
 * @param cacheMaxTtl the longest an answer is cached, whatever its TTL says
 * @param maxAnswerSize the largest answer, in wire bytes, that is used at all
 */
public record DnsSettings(
    List<InetSocketAddress> servers,
    Duration timeout,
    int cacheSize,
    long cacheMaxBytes,
    Duration cacheMaxTtl,
    int maxAnswerSize) {

  /** The port DNS servers listen on unless told otherwise. */
  public static final int DEFAULT_PORT = 53;

  /** Default of {@code postwire.dns.cache-max-bytes}: 16 MiB. */
  public static final long DEFAULT_CACHE_MAX_BYTES = 16L * 1024 * 1024;

  /** Default of {@code postwire.dns.cache-max-ttl}: one day. */
  public static final Duration DEFAULT_CACHE_MAX_TTL = Duration.ofDays(1);

  /** Default of {@code postwire.dns.max-answer-size}: 32 KiB. */
  public static final int DEFAULT_MAX_ANSWER_SIZE = 32 * 1024;

  /** Servers, timeout and entry limit, with the default byte, TTL and answer-size caps. */
  public DnsSettings(List<InetSocketAddress> servers, Duration timeout, int cacheSize) {
    this(
        servers,
        timeout,
        cacheSize,
        DEFAULT_CACHE_MAX_BYTES,
        DEFAULT_CACHE_MAX_TTL,
        DEFAULT_MAX_ANSWER_SIZE);
  }

  public DnsSettings {
    servers = List.copyOf(Objects.requireNonNull(servers, "servers"));
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("DNS timeout must be positive, got " + timeout);
    }
    if (cacheSize < 0) {
      throw new IllegalArgumentException("DNS cache size must not be negative, got " + cacheSize);
    }
    if (cacheMaxBytes < 0) {
      throw new IllegalArgumentException(
          "DNS cache byte limit must not be negative, got " + cacheMaxBytes);
    }
    Objects.requireNonNull(cacheMaxTtl, "cacheMaxTtl");
    if (cacheMaxTtl.isNegative()) {
      throw new IllegalArgumentException(
          "DNS cache max TTL must not be negative, got " + cacheMaxTtl);
    }
    if (maxAnswerSize < 512) {
      // every DNS server may answer in 512 bytes (RFC 1035 §4.2.1)
      throw new IllegalArgumentException(
          "DNS max answer size must be at least 512 bytes, got " + maxAnswerSize);
    }
  }

  /**
   * Parses the configured server list {@code host[:port],…}: IPv4 literals as {@code 127.0.0.1} or
   * {@code 127.0.0.1:5353}, IPv6 literals as {@code ::1} or {@code [::1]:5353}. Names are refused:
   * resolving the resolver's own name would go through the system resolver we mean to replace.
   *
   * @throws IllegalArgumentException with a message naming the offending entry
   */
  public static List<InetSocketAddress> parseServers(String text) {
    List<InetSocketAddress> servers = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return List.of();
    }
    for (String raw : text.split(",")) {
      String entry = raw.trim();
      if (entry.isEmpty()) {
        throw new IllegalArgumentException("DNS server list has an empty entry: '" + text + "'");
      }
      String host;
      int port = DEFAULT_PORT;
      if (entry.startsWith("[")) {
        int close = entry.indexOf(']');
        if (close < 0) {
          throw new IllegalArgumentException("DNS server '" + entry + "' lacks the closing ']'");
        }
        host = entry.substring(1, close);
        String rest = entry.substring(close + 1);
        if (!rest.isEmpty()) {
          if (!rest.startsWith(":")) {
            throw new IllegalArgumentException(
                "DNS server '" + entry + "': expected ':port' after ']'");
          }
          port = parsePort(entry, rest.substring(1));
        }
        if (!host.contains(":")) {
          throw new IllegalArgumentException(
              "DNS server '" + entry + "': brackets are for IPv6 addresses only");
        }
      } else if (entry.indexOf(':') != entry.lastIndexOf(':')) {
        host = entry; // bare IPv6 literal, no port
      } else if (entry.contains(":")) {
        host = entry.substring(0, entry.indexOf(':'));
        port = parsePort(entry, entry.substring(entry.indexOf(':') + 1));
      } else {
        host = entry;
      }
      servers.add(new InetSocketAddress(literal(entry, host), port));
    }
    return List.copyOf(servers);
  }

  private static int parsePort(String entry, String text) {
    try {
      int port = Integer.parseInt(text);
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "DNS server '" + entry + "': port must be 1-65535, got '" + text + "'");
    }
  }

  private static InetAddress literal(String entry, String host) {
    boolean ipv4 = host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    boolean ipv6 = host.contains(":") && host.matches("[0-9A-Fa-f:.]+");
    if (!ipv4 && !ipv6) {
      throw new IllegalArgumentException(
          "DNS server '"
              + entry
              + "' is not an IP address; configure resolvers by address, never by name");
    }
    try {
      // getByName never queries DNS for a literal, which the checks above guarantee.
      InetAddress address = InetAddress.getByName(host);
      if (ipv4 && !(address instanceof Inet4Address)) {
        throw new UnknownHostException(host);
      }
      return address;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("DNS server '" + entry + "' is not a valid IP address");
    }
  }
}

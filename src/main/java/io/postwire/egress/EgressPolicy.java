package io.postwire.egress;

import com.google.common.net.InetAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where the service may connect on a peer's say: MX hosts, MTA-STS policy hosts, webhook URLs. An
 * address in a range that is not globally reachable (loopback, RFC 1918 and RFC 6598 private,
 * {@code fc00::/7}, link-local, unspecified, multicast, reserved; RFC 6890 and the IANA special
 * purpose registries) is refused unless a CIDR of {@code postwire.egress.allow} covers it, so a
 * tenant's DNS cannot point the service at its own network. IPv4 carried in IPv6 (mapped {@code
 * ::ffff:0:0/96}, NAT64 {@code 64:ff9b::/96}, 6to4 {@code 2002::/16}) is judged as that IPv4
 * address. Pure: no lookups, addresses only.
 */
public final class EgressPolicy {

  /** What kind of range an address is in; everything but {@link #PUBLIC} is refused by default. */
  public enum Range {
    PUBLIC,
    LOOPBACK,
    /** RFC 1918, RFC 6598 shared address space, IPv6 unique local (and the old site-local). */
    PRIVATE,
    LINK_LOCAL,
    UNSPECIFIED,
    MULTICAST,
    /** Documentation, benchmarking, "this network", future use, broadcast, protocol assignments. */
    RESERVED
  }

  /** The text shown for a refused destination; never the address itself. */
  public static final String REFUSED = "destination not allowed by egress policy";

  private final List<Cidr> allow;

  private EgressPolicy(List<Cidr> allow) {
    this.allow = List.copyOf(allow);
  }

  /** Refuses every non-public address. */
  public static EgressPolicy strict() {
    return new EgressPolicy(List.of());
  }

  /**
   * A policy that also allows the given CIDRs ({@code 127.0.0.0/8}, {@code ::1/128}; an address
   * without a prefix is a single host). Fails on anything else, naming the bad entry.
   */
  public static EgressPolicy allowing(List<String> cidrs) {
    List<Cidr> parsed = new ArrayList<>();
    for (String text : cidrs) {
      String c = text.strip();
      if (!c.isEmpty()) {
        parsed.add(Cidr.parse(c));
      }
    }
    return new EgressPolicy(parsed);
  }

  /** Whether a connection to {@code address} is allowed. */
  public boolean permits(InetAddress address) {
    byte[] bytes = normalize(address.getAddress());
    if (range(bytes) == Range.PUBLIC) {
      return true;
    }
    for (Cidr c : allow) {
      if (c.contains(bytes)) {
        return true;
      }
    }
    return false;
  }

  /** The addresses of {@code addresses} that may be connected to, in their order. */
  public List<InetAddress> permitted(List<InetAddress> addresses) {
    return addresses.stream().filter(this::permits).toList();
  }

  /** The range {@code address} is in. */
  public static Range classify(InetAddress address) {
    return range(normalize(address.getAddress()));
  }

  private static Range range(byte[] a) {
    return a.length == 4 ? ipv4(a) : ipv6(a);
  }

  private static Range ipv4(byte[] a) {
    int b0 = a[0] & 0xff;
    int b1 = a[1] & 0xff;
    int b2 = a[2] & 0xff;
    if (b0 == 0) {
      // 0.0.0.0/8 "this network" (RFC 791, RFC 6890)
      return a[1] == 0 && a[2] == 0 && a[3] == 0 ? Range.UNSPECIFIED : Range.RESERVED;
    }
    if (b0 == 127) {
      return Range.LOOPBACK;
    }
    if (b0 == 10 || b0 == 172 && (b1 & 0xf0) == 16 || b0 == 192 && b1 == 168) {
      return Range.PRIVATE;
    }
    if (b0 == 100 && (b1 & 0xc0) == 64) {
      return Range.PRIVATE; // RFC 6598 shared address space, 100.64.0.0/10
    }
    if (b0 == 169 && b1 == 254) {
      return Range.LINK_LOCAL;
    }
    if (b0 >= 224 && b0 <= 239) {
      return Range.MULTICAST;
    }
    if (b0 >= 240) {
      return Range.RESERVED; // 240.0.0.0/4 future use, 255.255.255.255 broadcast
    }
    if (b0 == 192 && b1 == 0 && (b2 == 0 || b2 == 2)
        || b0 == 192 && b1 == 88 && b2 == 99
        || b0 == 198 && (b1 == 18 || b1 == 19)
        || b0 == 198 && b1 == 51 && b2 == 100
        || b0 == 203 && b1 == 0 && b2 == 113) {
      // protocol assignments, TEST-NET-1/2/3, 6to4 relay anycast, benchmarking (RFC 6890)
      return Range.RESERVED;
    }
    return Range.PUBLIC;
  }

  private static Range ipv6(byte[] a) {
    int b0 = a[0] & 0xff;
    int b1 = a[1] & 0xff;
    if (allZero(a, 0, 15)) {
      return a[15] == 0 ? Range.UNSPECIFIED : a[15] == 1 ? Range.LOOPBACK : Range.RESERVED;
    }
    if (b0 == 0xff) {
      return Range.MULTICAST;
    }
    if ((b0 & 0xfe) == 0xfc) {
      return Range.PRIVATE; // fc00::/7 unique local (RFC 4193)
    }
    if (b0 == 0xfe && (b1 & 0xc0) == 0x80) {
      return Range.LINK_LOCAL; // fe80::/10
    }
    if (b0 == 0xfe && (b1 & 0xc0) == 0xc0) {
      return Range.PRIVATE; // fec0::/10 site-local (deprecated by RFC 3879)
    }
    if (b0 == 0x00
        && b1 == 0x64
        && a[2] == (byte) 0xff
        && a[3] == (byte) 0x9b
        && allZero(a, 4, 12)) {
      return ipv4(Arrays.copyOfRange(a, 12, 16)); // NAT64 64:ff9b::/96 (RFC 6052)
    }
    if (b0 == 0x20 && b1 == 0x02) {
      return ipv4(Arrays.copyOfRange(a, 2, 6)); // 6to4 2002::/16 (RFC 3056)
    }
    if ((b0 & 0xe0) != 0x20) {
      return Range.RESERVED; // outside 2000::/3, the only global unicast space
    }
    if (b0 == 0x20 && b1 == 0x01 && (a[2] & 0xfe) == 0) {
      return Range.RESERVED; // 2001::/23 protocol assignments, Teredo 2001::/32 included
    }
    if (b0 == 0x20 && b1 == 0x01 && a[2] == 0x0d && a[3] == (byte) 0xb8) {
      return Range.RESERVED; // 2001:db8::/32 documentation
    }
    return Range.PUBLIC;
  }

  /** IPv4-mapped IPv6 ({@code ::ffff:10.0.0.1}) as the IPv4 address it is. */
  static byte[] normalize(byte[] a) {
    if (a.length == 16 && allZero(a, 0, 10) && a[10] == (byte) 0xff && a[11] == (byte) 0xff) {
      return Arrays.copyOfRange(a, 12, 16);
    }
    return a;
  }

  private static boolean allZero(byte[] a, int from, int to) {
    for (int i = from; i < to; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** One allowed network. */
  record Cidr(byte[] network, int prefix) {

    static Cidr parse(String text) {
      int slash = text.indexOf('/');
      String ip = slash < 0 ? text : text.substring(0, slash);
      if (!InetAddresses.isInetAddress(ip)) {
        throw new IllegalArgumentException(
            "postwire.egress.allow: not a CIDR (address/prefix): " + text);
      }
      int bits = ip.contains(":") ? 128 : 32;
      int prefix = bits;
      if (slash >= 0) {
        String p = text.substring(slash + 1);
        if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > bits) {
          throw new IllegalArgumentException("postwire.egress.allow: bad prefix length: " + text);
        }
        prefix = Integer.parseInt(p);
      }
      byte[] bytes = normalize(InetAddresses.forString(ip).getAddress());
      if (bits == 128 && bytes.length == 4) {
        // ::ffff:10.0.0.0/104 is 10.0.0.0/8: addresses are compared as IPv4
        if (prefix < 96) {
          throw new IllegalArgumentException(
              "postwire.egress.allow: give IPv4-mapped networks as IPv4 CIDRs: " + text);
        }
        prefix -= 96;
      }
      return new Cidr(bytes, prefix);
    }

    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[full] & mask) == (network[full] & mask);
    }
  }
}

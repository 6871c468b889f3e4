package io.postwire.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.net.InetAddresses;
import io.postwire.egress.EgressPolicy.Range;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The address classifier (RFC 6890 and the IANA special-purpose registries) and the allow list.
 * Addresses are built from literals only: nothing here resolves or connects.
 */
class EgressPolicyTest {

  static InetAddress ip(String literal) {
    return InetAddresses.forString(literal);
  }

  /** An IPv6 address kept as IPv6 even when it is IPv4-mapped (the JDK would unwrap it). */
  static InetAddress ipv6(String literal) throws Exception {
    byte[] bytes = new byte[16];
    byte[] parsed = InetAddresses.forString(literal).getAddress();
    if (parsed.length == 4) {
      bytes[10] = (byte) 0xff;
      bytes[11] = (byte) 0xff;
      System.arraycopy(parsed, 0, bytes, 12, 4);
    } else {
      bytes = parsed;
    }
    return Inet6Address.getByAddress(null, bytes, -1);
  }

  @ParameterizedTest
  @CsvSource({
    "0.0.0.0, UNSPECIFIED",
    "0.1.2.3, RESERVED",
    "127.0.0.1, LOOPBACK",
    "127.255.255.254, LOOPBACK",
    "10.0.0.1, PRIVATE",
    "172.16.0.1, PRIVATE",
    "172.31.255.255, PRIVATE",
    "172.32.0.1, PUBLIC",
    "172.15.255.255, PUBLIC",
    "192.168.1.1, PRIVATE",
    "100.64.0.1, PRIVATE",
    "100.127.255.255, PRIVATE",
    "100.128.0.1, PUBLIC",
    "100.63.255.255, PUBLIC",
    "169.254.169.254, LINK_LOCAL",
    "224.0.0.1, MULTICAST",
    "239.255.255.255, MULTICAST",
    "240.0.0.1, RESERVED",
    "255.255.255.255, RESERVED",
    "192.0.0.8, RESERVED",
    "192.0.2.1, RESERVED",
    "198.18.0.1, RESERVED",
    "198.51.100.7, RESERVED",
    "203.0.113.9, RESERVED",
    "192.88.99.1, RESERVED",
    "8.8.8.8, PUBLIC",
    "93.184.216.34, PUBLIC",
    "192.0.1.1, PUBLIC"
  })
  void classifiesIpv4Ranges(String address, Range range) {
    assertThat(EgressPolicy.classify(ip(address))).isEqualTo(range);
  }

  @ParameterizedTest
  @CsvSource({
    "::, UNSPECIFIED",
    "::1, LOOPBACK",
    "::2, RESERVED",
    "fc00::1, PRIVATE",
    "fd12:3456::1, PRIVATE",
    "fe80::1, LINK_LOCAL",
    "febf::1, LINK_LOCAL",
    "fec0::1, PRIVATE",
    "ff02::1, MULTICAST",
    "100::1, RESERVED",
    "2001:db8::1, RESERVED",
    "2001::1, RESERVED",
    "4000::1, RESERVED",
    "64:ff9b::a00:1, PRIVATE",
    "64:ff9b::808:808, PUBLIC",
    "2002:a00:1::1, PRIVATE",
    "2002:7f00:1::1, LOOPBACK",
    "2002:808:808::1, PUBLIC",
    "2a00:1450:4001::1, PUBLIC",
    "2606:4700::1111, PUBLIC"
  })
  void classifiesIpv6Ranges(String address, Range range) {
    assertThat(EgressPolicy.classify(ip(address))).isEqualTo(range);
  }

  @Test
  void judgesIpv4MappedIpv6AsTheIpv4AddressItCarries() throws Exception {
    InetAddress mapped = ipv6("10.0.0.1");
    assertThat(mapped).isInstanceOf(Inet6Address.class);
    assertThat(EgressPolicy.classify(mapped)).isEqualTo(Range.PRIVATE);
    assertThat(EgressPolicy.classify(ipv6("127.0.0.1"))).isEqualTo(Range.LOOPBACK);
    assertThat(EgressPolicy.classify(ipv6("0.0.0.0"))).isEqualTo(Range.UNSPECIFIED);
    assertThat(EgressPolicy.classify(ipv6("8.8.8.8"))).isEqualTo(Range.PUBLIC);
    assertThat(EgressPolicy.strict().permits(mapped)).isFalse();
    assertThat(EgressPolicy.allowing(List.of("10.0.0.0/8")).permits(mapped)).isTrue();
  }

  @Test
  void refusesEveryNonPublicAddressByDefault() throws Exception {
    EgressPolicy strict = EgressPolicy.strict();
    for (String a :
        List.of(
            "127.0.0.1",
            "10.0.0.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "224.0.0.1",
            "240.0.0.1")) {
      assertThat(strict.permits(ip(a))).as(a).isFalse();
    }
    assertThat(strict.permits(ip("8.8.8.8"))).isTrue();
    assertThat(strict.permits(ip("2a00:1450:4001::1"))).isTrue();
  }

  @Test
  void allowsWhatTheAllowListCovers() {
    EgressPolicy loopback = EgressPolicy.allowing(List.of("127.0.0.0/8", " ::1/128 "));
    assertThat(loopback.permits(ip("127.0.0.2"))).isTrue();
    assertThat(loopback.permits(ip("::1"))).isTrue();
    assertThat(loopback.permits(ip("10.0.0.1"))).isFalse();

    EgressPolicy one = EgressPolicy.allowing(List.of("127.0.0.1/32"));
    assertThat(one.permits(ip("127.0.0.1"))).isTrue();
    assertThat(one.permits(ip("127.0.0.2"))).isFalse();

    EgressPolicy odd = EgressPolicy.allowing(List.of("172.20.0.0/14", "fd00:1::/32", "10.9.8.7"));
    assertThat(odd.permits(ip("172.23.255.255"))).isTrue();
    assertThat(odd.permits(ip("172.24.0.0"))).isFalse();
    assertThat(odd.permits(ip("fd00:1:ffff::1"))).isTrue();
    assertThat(odd.permits(ip("fd00:2::1"))).isFalse();
    assertThat(odd.permits(ip("10.9.8.7"))).isTrue();
    assertThat(odd.permits(ip("10.9.8.6"))).isFalse();
  }

  @Test
  void anIpv4MappedCidrIsTheIpv4Network() throws Exception {
    EgressPolicy mapped = EgressPolicy.allowing(List.of("::ffff:10.0.0.0/104"));
    assertThat(mapped.permits(ip("10.200.0.1"))).isTrue();
    assertThat(mapped.permits(ipv6("10.200.0.1"))).isTrue();
    assertThat(mapped.permits(ip("11.0.0.1"))).isTrue(); // public anyway
    assertThat(mapped.permits(ip("192.168.0.1"))).isFalse();
  }

  @Test
  void aBadAllowListEntryIsNamed() {
    assertThatThrownBy(() -> EgressPolicy.allowing(List.of("127.0.0.0/33")))
        .hasMessageContaining("127.0.0.0/33");
    assertThatThrownBy(() -> EgressPolicy.allowing(List.of("localhost")))
        .hasMessageContaining("localhost");
    assertThatThrownBy(() -> EgressPolicy.allowing(List.of("10.0.0.0/x")))
        .hasMessageContaining("10.0.0.0/x");
  }
}

package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * MX routing as RFC 5321 §5.1 and RFC 7505 describe it, run against whichever authoritative server
 * a subclass serves {@link #ZONE} from.
 */
abstract class MxRoutingScenarios {

  static final String ORIGIN = "example.test";

  static final String ZONE =
      """
      $TTL 300
      @            SOA  ns.example.test. hostmaster.example.test. 1 3600 600 86400 60
      @            NS   ns
      ns           A    127.0.0.1
      fallback     MX   20 mx2.fallback
      fallback     MX   10 mx1.fallback
      mx1.fallback A    192.0.2.1
      mx2.fallback A    192.0.2.2
      mx2.fallback AAAA 2001:db8::2
      equal        MX   10 a.equal
      equal        MX   10 b.equal
      equal        MX   10 c.equal
      equal        MX   5  first.equal
      a.equal      A    192.0.2.11
      b.equal      A    192.0.2.12
      c.equal      A    192.0.2.13
      first.equal  A    192.0.2.10
      implicit     A    192.0.2.20
      implicit     AAAA 2001:db8::20
      nullmx       MX   0 .
      nullmx       A    192.0.2.30
      dangling     MX   10 nowhere.dangling
      nomail       TXT  "exists but takes no mail"
      spf          TXT  "v=spf1 ip4:192.0.2.0/24 " "include:_spf.example.test -all"
      spf          TXT  "second record"
      """;

  /** A resolver pointed at the server under test. */
  abstract Dns dns();

  static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void triesLowerPreferenceFirstAndFallsBackToHigher_rfc5321_5_1() {
    MxResult result = dns().mx("fallback.example.test").await().atMost(WAIT);

    assertThat(result)
        .isEqualTo(
            new MxResult.Hosts(
                List.of(
                    new MxHost(10, "mx1.fallback.example.test"),
                    new MxHost(20, "mx2.fallback.example.test"))));
  }

  @Test
  void shufflesHostsOfEqualPreference_rfc5321_5_1() {
    Set<List<MxHost>> orders = new HashSet<>();
    // Fresh resolvers, so each answer is shuffled anew rather than served in one cached order.
    for (int i = 0; i < 40 && orders.size() < 2; i++) {
      MxResult result = dns().mx("equal.example.test").await().atMost(WAIT);
      List<MxHost> hosts = result.hosts();
      assertThat(hosts).hasSize(4);
      assertThat(hosts.get(0)).isEqualTo(new MxHost(5, "first.equal.example.test"));
      assertThat(hosts.subList(1, 4))
          .extracting(MxHost::host)
          .containsExactlyInAnyOrder(
              "a.equal.example.test", "b.equal.example.test", "c.equal.example.test");
      orders.add(hosts);
    }
    assertThat(orders).as("orders seen among equal preferences").hasSizeGreaterThan(1);
  }

  @Test
  void usesTheDomainItselfWhenItHasAnAddressButNoMx_rfc5321_5_1() {
    MxResult result = dns().mx("implicit.example.test").await().atMost(WAIT);

    assertThat(result).isEqualTo(new MxResult.Implicit("implicit.example.test"));
    assertThat(result.hosts()).containsExactly(new MxHost(0, "implicit.example.test"));
  }

  @Test
  void reportsNullMxEvenWhenTheDomainHasAnAddress_rfc7505_3() {
    assertThat(dns().mx("nullmx.example.test").await().atMost(WAIT))
        .isEqualTo(new MxResult.NullMx());
  }

  @Test
  void returnsTheMxHostEvenWhenItDoesNotResolveAndItsAddressesAreEmpty() {
    MxResult result = dns().mx("dangling.example.test").await().atMost(WAIT);

    assertThat(result)
        .isEqualTo(new MxResult.Hosts(List.of(new MxHost(10, "nowhere.dangling.example.test"))));
    assertThat(dns().addresses("nowhere.dangling.example.test").await().atMost(WAIT)).isEmpty();
  }

  @Test
  void distinguishesAMissingDomainFromOneThatTakesNoMail() {
    assertThat(dns().mx("missing.example.test").await().atMost(WAIT))
        .isEqualTo(new MxResult.NoSuchDomain());
    assertThat(dns().mx("nomail.example.test").await().atMost(WAIT))
        .isEqualTo(new MxResult.NoMailHosts());
  }

  @Test
  void listsIpv4AddressesBeforeIpv6() throws Exception {
    List<InetAddress> addresses = dns().addresses("mx2.fallback.example.test").await().atMost(WAIT);

    assertThat(addresses)
        .containsExactly(
            InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 2}),
            InetAddress.getByAddress(
                new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}));
  }

  @Test
  void joinsTheCharacterStringsOfEachTxtRecord_rfc7208_3_3() {
    List<String> texts = dns().txt("spf.example.test").await().atMost(WAIT);

    assertThat(texts)
        .containsExactlyInAnyOrder(
            "v=spf1 ip4:192.0.2.0/24 include:_spf.example.test -all", "second record");
    assertThat(dns().txt("implicit.example.test").await().atMost(WAIT)).isEmpty();
    assertThat(dns().txt("missing.example.test").await().atMost(WAIT)).isEmpty();
  }
}

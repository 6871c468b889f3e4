package io.postwire.dns;

import io.postwire.testing.dns.TestDnsServer;
import java.util.List;

/** The project's own SPF scenarios: one zone, names that time out, and cases with results. */
final class SpfScenarios {

  private SpfScenarios() {}

  static final String ORIGIN = "spf.test";

  static final String ZONE =
      """
      $TTL 300
      @          TXT "v=spf1 ip4:192.0.2.0/24 -all"
      @          TXT "an unrelated verification token"
      incl       TXT "v=spf1 include:inner.spf.test ~all"
      inner      TXT "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:100::/48 -all"
      redir      TXT "v=spf1 redirect=inner.spf.test"
      mxs        TXT "v=spf1 mx/30 -all"
      mxs        MX  10 mail.mxs
      mail.mxs   A   203.0.113.8
      addr       TXT "v=spf1 a//64 -all"
      addr       A   203.0.113.20
      addr       AAAA 2001:db8::20
      ptr        TXT "v=spf1 ptr -all"
      host.ptr   A   203.0.113.30
      30.113.0.203.in-addr.arpa. PTR host.ptr.spf.test.
      31.113.0.203.in-addr.arpa. PTR forged.ptr.spf.test.
      forged.ptr A   203.0.113.99
      exists     TXT "v=spf1 exists:%{ir}.list.spf.test -all"
      1.2.0.192.list A 127.0.0.2
      macro      TXT "v=spf1 ip4:192.0.2.1 -all exp=why.spf.test"
      why        TXT "%{i} is not one of %{d}'s mail servers (sender %{l} at %{o})"
      local      TXT "v=spf1 exists:%{l}.users.spf.test -all"
      alice.users A 127.0.0.2
      loop       TXT "v=spf1 include:loop.spf.test -all"
      two        TXT "v=spf1 -all"
      two        TXT "v=spf1 +all"
      bad        TXT "v=spf1 ip4:192.0.2.300 -all"
      unknownmech TXT "v=spf1 foo:bar.spf.test -all"
      void       TXT "v=spf1 a:n1.spf.test a:n2.spf.test a:n3.spf.test -all"
      tempinc    TXT "v=spf1 include:down.spf.test -all"
      noneinc    TXT "v=spf1 include:nothing.spf.test -all"
      soft       TXT "v=spf1 ?ip4:192.0.2.1 ~all"
      neutral    TXT "v=spf1 ip4:192.0.2.1"
      nospf      TXT "just text"
      many       TXT "v=spf1 a:h1.spf.test a:h2.spf.test a:h3.spf.test a:h4.spf.test a:h5.spf.test a:h6.spf.test include:many2.spf.test -all"
      many2      TXT "v=spf1 a:h7.spf.test a:h8.spf.test a:h9.spf.test a:h10.spf.test a:h11.spf.test -all"
      h1 A 127.0.0.1
      h2 A 127.0.0.1
      h3 A 127.0.0.1
      h4 A 127.0.0.1
      h5 A 127.0.0.1
      h6 A 127.0.0.1
      h7 A 127.0.0.1
      h8 A 127.0.0.1
      h9 A 127.0.0.1
      h10 A 127.0.0.1
      h11 A 127.0.0.1
      """;

  static final List<String> TIMEOUTS = List.of("down.spf.test");

  /** One check and the result RFC 7208 gives it, with the section that says so. */
  record Case(String name, String ip, String mailFrom, String helo, String result, String rfc) {}

  static final List<Case> CASES =
      List.of(
          new Case(
              "ip4 inside the network", "192.0.2.10", "a@spf.test", "mx.example", "pass", "5.6"),
          new Case("ip4 outside, -all", "203.0.113.1", "a@spf.test", "mx.example", "fail", "5.1"),
          new Case("include passes", "198.51.100.7", "a@incl.spf.test", "h.example", "pass", "5.2"),
          new Case(
              "include fails, ~all",
              "203.0.113.1",
              "a@incl.spf.test",
              "h.example",
              "softfail",
              "5.2"),
          new Case(
              "ip6 in an included record",
              "2001:db8:100::1",
              "a@incl.spf.test",
              "h.example",
              "pass",
              "5.6"),
          new Case("redirect", "198.51.100.9", "a@redir.spf.test", "h.example", "pass", "6.1"),
          new Case("redirect fails", "192.0.2.9", "a@redir.spf.test", "h.example", "fail", "6.1"),
          new Case("mx with cidr", "203.0.113.10", "a@mxs.spf.test", "h.example", "pass", "5.4"),
          new Case("mx outside cidr", "203.0.113.12", "a@mxs.spf.test", "h.example", "fail", "5.4"),
          new Case(
              "a ipv6 with cidr6", "2001:db8::ffff", "a@addr.spf.test", "h.example", "pass", "5.3"),
          new Case("a ipv4 exact", "203.0.113.20", "a@addr.spf.test", "h.example", "pass", "5.3"),
          new Case("a ipv4 other", "203.0.113.21", "a@addr.spf.test", "h.example", "fail", "5.3"),
          new Case("ptr validated", "203.0.113.30", "a@ptr.spf.test", "h.example", "pass", "5.5"),
          new Case(
              "ptr not validated", "203.0.113.31", "a@ptr.spf.test", "h.example", "fail", "5.5"),
          new Case("ptr absent", "203.0.113.32", "a@ptr.spf.test", "h.example", "fail", "5.5"),
          new Case(
              "exists with %{ir}", "192.0.2.1", "a@exists.spf.test", "h.example", "pass", "5.7"),
          new Case("exists misses", "192.0.2.2", "a@exists.spf.test", "h.example", "fail", "5.7"),
          new Case(
              "exists with %{l}", "192.0.2.99", "alice@local.spf.test", "h.example", "pass", "7.3"),
          new Case(
              "exists with other %{l}",
              "192.0.2.99", "bob@local.spf.test", "h.example", "fail", "7.3"),
          new Case(
              "exp with macros", "192.0.2.77", "carol@macro.spf.test", "h.example", "fail", "6.2"),
          new Case(
              "include loop hits the limit",
              "192.0.2.1",
              "a@loop.spf.test",
              "h.example",
              "permerror",
              "4.6.4"),
          new Case("two records", "192.0.2.1", "a@two.spf.test", "h.example", "permerror", "4.5"),
          new Case("bad ip4", "192.0.2.1", "a@bad.spf.test", "h.example", "permerror", "4.6"),
          new Case(
              "unknown mechanism",
              "192.0.2.1",
              "a@unknownmech.spf.test",
              "h.example",
              "permerror",
              "4.6"),
          new Case(
              "three void lookups",
              "192.0.2.1",
              "a@void.spf.test",
              "h.example",
              "permerror",
              "4.6.4"),
          new Case(
              "include times out",
              "192.0.2.1",
              "a@tempinc.spf.test",
              "h.example",
              "temperror",
              "5.2"),
          new Case(
              "include of no record",
              "192.0.2.1",
              "a@noneinc.spf.test",
              "h.example",
              "permerror",
              "5.2"),
          new Case(
              "neutral qualifier", "192.0.2.1", "a@soft.spf.test", "h.example", "neutral", "4.6.2"),
          new Case(
              "no match, no all", "192.0.2.2", "a@neutral.spf.test", "h.example", "neutral", "4.7"),
          new Case("no SPF record", "192.0.2.1", "a@nospf.spf.test", "h.example", "none", "4.5"),
          new Case("no such domain", "192.0.2.1", "a@missing.spf.test", "h.example", "none", "4.3"),
          new Case(
              "eleven lookups", "192.0.2.1", "a@many.spf.test", "h.example", "permerror", "4.6.4"),
          new Case("null sender uses helo", "192.0.2.5", "", "spf.test", "pass", "2.4"));

  /** Serves the zone and the timeouts from {@code server}. */
  static TestDnsServer serve(TestDnsServer server) {
    server.zone(ORIGIN, ZONE);
    TIMEOUTS.forEach(server::timeout);
    return server;
  }
}

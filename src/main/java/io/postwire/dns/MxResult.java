package io.postwire.dns;

import java.util.List;

/** What the DNS says about where mail for a domain goes (RFC 5321 §5.1, RFC 7505). */
public sealed interface MxResult {

  /**
   * The hosts to try in order: the MX hosts for {@link Hosts}, the domain itself for {@link
   * Implicit}, none otherwise.
   */
  List<MxHost> hosts();

  /** The domain publishes MX records; sorted by preference, shuffled among equal preferences. */
  record Hosts(List<MxHost> hosts) implements MxResult {
    public Hosts {
      hosts = List.copyOf(hosts);
    }
  }

  /** The domain publishes the null MX {@code 0 .}: it accepts no mail (RFC 7505). */
  record NullMx() implements MxResult {
    @Override
    public List<MxHost> hosts() {
      return List.of();
    }
  }

  /** No MX but the domain has an address: it is its own exchanger at preference 0. */
  record Implicit(String domain) implements MxResult {
    @Override
    public List<MxHost> hosts() {
      return List.of(new MxHost(0, domain));
    }
  }

  /** The domain does not exist (NXDOMAIN). */
  record NoSuchDomain() implements MxResult {
    @Override
    public List<MxHost> hosts() {
      return List.of();
    }
  }

  /** The domain exists but has neither MX records nor addresses. */
  record NoMailHosts() implements MxResult {
    @Override
    public List<MxHost> hosts() {
      return List.of();
    }
  }
}

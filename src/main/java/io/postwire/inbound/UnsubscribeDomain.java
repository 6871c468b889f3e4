package io.postwire.inbound;

import io.postwire.unsubscribe.ReturnPathDomain;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** Gives one-click unsubscribe the domain of its mailto address: the default return-path domain. */
@ApplicationScoped
class UnsubscribeDomain {

  @Produces
  @ApplicationScoped
  ReturnPathDomain returnPathDomain(InboundConfig inbound) {
    return inbound::domain;
  }
}

package io.postwire.delivery;

import io.quarkus.arc.DefaultBean;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Used only when no DKIM signer is present: messages go out unsigned. */
@DefaultBean
@ApplicationScoped
public class UnsignedMessageSigner implements MessageSigner {

  @Override
  public Uni<String> sign(String domain, byte[] message) {
    return Uni.createFrom().item("");
  }
}

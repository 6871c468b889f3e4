package io.postwire.inbound;

import io.postwire.delivery.ReturnPaths;
import io.postwire.security.SignedTokens;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * VERP return paths (API.md "Inbound mail"): the envelope sender of each delivery is {@code
 * b+<token>@<return-path domain>}, the token {@link SignedTokens#signLowerCase} of the delivery's
 * id for the purpose {@code verp}. A bounce to that address names exactly one recipient of one
 * message, and nobody without the master key can make an address naming another.
 */
@ApplicationScoped
public class Verp implements ReturnPaths {

  /** The token purpose, so a VERP token never passes for an unsubscribe or tracking one. */
  static final String PURPOSE = "verp";

  /** The local-part prefix of VERP addresses. */
  static final String PREFIX = "b+";

  private final ReturnPathDomains domains;
  private final SignedTokens tokens;

  public Verp(ReturnPathDomains domains, SignedTokens tokens) {
    this.domains = domains;
    this.tokens = tokens;
  }

  @Override
  public String envelopeSender(long deliveryId, String domainReturnPath) {
    String domain = domains.forDomain(domainReturnPath);
    return domain == null ? null : address(deliveryId, domain);
  }

  /** The VERP address of a delivery on {@code domain}. */
  public String address(long deliveryId, String domain) {
    return PREFIX + token(deliveryId) + "@" + domain;
  }

  String token(long deliveryId) {
    return tokens.signLowerCase(PURPOSE, ByteBuffer.allocate(8).putLong(deliveryId).array());
  }

  /** The delivery a VERP local part names, when its token is ours and intact. */
  OptionalLong delivery(String localPart) {
    if (localPart == null
        || localPart.length() <= PREFIX.length()
        || !localPart.toLowerCase(Locale.ROOT).startsWith(PREFIX)) {
      return OptionalLong.empty();
    }
    return tokens
        .verifyLowerCase(PURPOSE, localPart.substring(PREFIX.length()))
        .filter(payload -> payload.length == 8)
        .map(payload -> OptionalLong.of(ByteBuffer.wrap(payload).getLong()))
        .orElse(OptionalLong.empty());
  }
}

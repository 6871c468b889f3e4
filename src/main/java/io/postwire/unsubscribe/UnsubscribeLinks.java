package io.postwire.unsubscribe;

import io.postwire.domain.DomainNames;
import io.postwire.platform.Problem;
import io.postwire.platform.PublicUrl;
import io.postwire.platform.Refusal;
import io.postwire.security.SignedTokens;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The RFC 8058 header fields of one message and the tokens in them. A token names the message (its
 * one recipient and its sending domain follow from it), authenticated with {@link SignedTokens}
 * under the purpose {@value #PURPOSE}: nobody without the master key can make a token that
 * unsubscribes anyone. The https token is base64url; the mailto token is lower-case base32, since
 * receivers may fold the case of a local part.
 */
@ApplicationScoped
public class UnsubscribeLinks {

  /** The {@link SignedTokens} purpose of unsubscribe tokens. */
  static final String PURPOSE = "unsubscribe";

  /** The path of one-click links under {@code postwire.public-url}. */
  public static final String PATH = "/u/";

  /** The prefix of unsubscribe local parts on the return-path domain. */
  static final String LOCAL_PREFIX = "u+";

  /** RFC 8058 §3.1: the one value of {@code List-Unsubscribe-Post}. */
  public static final String ONE_CLICK = "List-Unsubscribe=One-Click";

  private final UnsubscribeConfig config;
  private final PublicUrl publicUrl;
  private final ReturnPathDomain returnPath;
  private final SignedTokens tokens;

  public UnsubscribeLinks(
      UnsubscribeConfig config,
      PublicUrl publicUrl,
      ReturnPathDomain returnPath,
      SignedTokens tokens) {
    this.config = config;
    this.publicUrl = publicUrl;
    this.returnPath = returnPath;
    this.tokens = tokens;
  }

  /**
   * Whether a send carries the header fields: what it says, else {@code
   * postwire.unsubscribe.default}.
   */
  public boolean requested(Boolean given) {
    return given != null ? given : config.onByDefault();
  }

  /**
   * The value of {@code List-Unsubscribe} (RFC 2369 §3.2, RFC 8058 §3.1) for the message {@code
   * id}: the https URI first, then the mailto URI. Refused when a setting it needs is missing, so
   * no message goes out with a link nobody can follow.
   */
  public String listUnsubscribe(UUID id) {
    check();
    byte[] payload = bytes(id);
    return "<"
        + publicUrl.resolve(PATH).orElseThrow()
        + tokens.sign(PURPOSE, payload)
        + ">, <mailto:"
        + LOCAL_PREFIX
        + tokens.signLowerCase(PURPOSE, payload)
        + "@"
        + returnPathDomain().orElseThrow()
        + ">";
  }

  /**
   * Refuses (422, naming the settings) when a setting the links need is missing: {@code
   * postwire.public-url} for the https URI, {@code postwire.inbound.domain} for the mailto URI.
   */
  public void check() {
    List<String> missing = new ArrayList<>();
    if (publicUrl.publicUrl().isEmpty()) {
      missing.add("postwire.public-url (POSTWIRE_PUBLIC_URL)");
    }
    if (returnPathDomain().isEmpty()) {
      missing.add("postwire.inbound.domain (POSTWIRE_INBOUND_DOMAIN)");
    }
    if (!missing.isEmpty()) {
      String settings = String.join(" and ", missing);
      throw Refusal.invalid(
          "validation_failed",
          "One-click unsubscribe is not configured on this server: " + settings + " must be set",
          List.of(
              new Problem.FieldError(
                  "unsubscribe", "needs " + settings + " to be set on the server")));
    }
  }

  /** The message named by the token of a one-click link; empty when forged or altered. */
  public Optional<UUID> messageOfLink(String token) {
    return tokens.verify(PURPOSE, token).flatMap(UnsubscribeLinks::uuid);
  }

  /** Whether {@code localPart} has the form of an unsubscribe address (its token not checked). */
  static boolean isUnsubscribeLocalPart(String localPart) {
    return localPart != null
        && localPart.length() > LOCAL_PREFIX.length()
        && localPart.regionMatches(true, 0, LOCAL_PREFIX, 0, LOCAL_PREFIX.length());
  }

  /** The message named by an unsubscribe address's local part; empty when forged or altered. */
  public Optional<UUID> messageOfLocalPart(String localPart) {
    if (!isUnsubscribeLocalPart(localPart)) {
      return Optional.empty();
    }
    return tokens
        .verifyLowerCase(PURPOSE, localPart.substring(LOCAL_PREFIX.length()))
        .flatMap(UnsubscribeLinks::uuid);
  }

  /** The configured return-path domain, lower case and an A-label. */
  Optional<String> returnPathDomain() {
    return returnPath.domain().filter(d -> !d.isBlank()).map(DomainNames::normalize);
  }

  private static byte[] bytes(UUID id) {
    return ByteBuffer.allocate(16)
        .putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits())
        .array();
  }

  private static Optional<UUID> uuid(byte[] payload) {
    if (payload.length != 16) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(payload);
    return Optional.of(new UUID(b.getLong(), b.getLong()));
  }
}

package io.postwire.tracking;

import io.postwire.security.SignedTokens;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/**
 * The tokens of tracking links, authenticated with {@link SignedTokens} (purposes {@value #OPEN}
 * and {@value #CLICK}). An open token names the message; a click token names the message, the
 * link's position in the html and the original URL, so the redirect needs no lookup and nobody
 * without the master key can make {@code /t/c/} point anywhere else. Payload: a version octet (1),
 * the message id (16 octets), for clicks the link index (2 octets, big-endian) and the URL in
 * UTF-8.
 */
@ApplicationScoped
public class TrackingTokens {

  static final String OPEN = "track-open";
  static final String CLICK = "track-click";

  private static final byte VERSION = 1;

  /** The most links of one message that get their own index (later ones share the last). */
  static final int MAX_INDEX = 0xffff;

  /** A verified click: which message, which link, where to. */
  public record Click(UUID messageId, int index, String url) {}

  private final SignedTokens tokens;

  public TrackingTokens(SignedTokens tokens) {
    this.tokens = tokens;
  }

  /**
   * The longest click token for URLs of at most {@code maxUrlOctets}: base64url of payload + MAC.
   */
  public static int maxClickToken(int maxUrlOctets) {
    int raw = 1 + 16 + 2 + maxUrlOctets + 12;
    return (raw * 4 + 2) / 3;
  }

  public String open(UUID messageId) {
    return tokens.sign(OPEN, ByteBuffer.allocate(17).put(VERSION).put(bytes(messageId)).array());
  }

  public String click(UUID messageId, int index, String url) {
    byte[] utf8 = url.getBytes(StandardCharsets.UTF_8);
    ByteBuffer payload = ByteBuffer.allocate(19 + utf8.length);
    payload.put(VERSION).put(bytes(messageId)).putShort((short) Math.min(index, MAX_INDEX));
    payload.put(utf8);
    return tokens.sign(CLICK, payload.array());
  }

  /** The message of an open token; empty when forged, altered or not an open token. */
  public Optional<UUID> verifyOpen(String token) {
    return tokens
        .verify(OPEN, token, 64)
        .filter(p -> p.length == 17 && p[0] == VERSION)
        .map(p -> uuid(p, 1));
  }

  /**
   * The click of a token; empty when forged, altered, longer than {@code maxLength} characters or
   * not a click token.
   */
  public Optional<Click> verifyClick(String token, int maxLength) {
    return tokens
        .verify(CLICK, token, maxLength)
        .filter(p -> p.length > 19 && p[0] == VERSION)
        .flatMap(
            p -> {
              int index = ((p[17] & 0xff) << 8) | (p[18] & 0xff);
              try {
                String url =
                    StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(Arrays.copyOfRange(p, 19, p.length)))
                        .toString();
                return Optional.of(new Click(uuid(p, 1), index, url));
              } catch (CharacterCodingException e) {
                return Optional.empty();
              }
            });
  }

  private static byte[] bytes(UUID id) {
    return ByteBuffer.allocate(16)
        .putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits())
        .array();
  }

  private static UUID uuid(byte[] p, int offset) {
    ByteBuffer b = ByteBuffer.wrap(p, offset, 16);
    return new UUID(b.getLong(), b.getLong());
  }
}

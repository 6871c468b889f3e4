package io.postwire.tracking;

import io.postwire.dkim.DkimConfig;
import io.postwire.platform.PublicUrl;
import io.postwire.security.SignedTokens;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/** Tracking's pieces built without the container, with a fixed master key and public URL. */
final class TrackingFixtures {

  static final String BASE = "https://track.postwire.test";

  /**
   * An html body with every kind of link the rewriting must tell apart, and what each becomes: the
   * trackable ones in document order.
   */
  static final String HTML =
      "<!DOCTYPE html>\r\n<html><head><title>T&eacute;st</title></head>\r\n<body class=x>\r\n"
          + "<p>Caf&eacute; &amp; co &#8212; \u00fcn\u00efcode</p>\n"
          + "<a href=\"http://example.com/plain\">plain</a>\r"
          + "<a href='https://example.com/q?a=1&amp;b=2&c=%20x#frag'>query with entities</a>\n"
          + "<A HREF=\"HTTPS://EXAMPLE.COM/UPPER\">upper case</A>\n"
          + "<a href=http://example.com/unquoted>unquoted</a>\n"
          + "<a href=\"  https://example.com/spaced  \">spaced</a>\n"
          + "<a href=\"mailto:someone@example.com\">mail</a>\n"
          + "<a href=\"tel:+15551234\">call</a>\n"
          + "<a href=\"#section\">anchor</a>\n"
          + "<a href=\"/relative/path\">relative</a>\n"
          + "<a href=\"https://example.com/unsub-header\">unsubscribe (header)</a>\n"
          + "<a href=\"https://track.postwire.test/u/abc123\">unsubscribe (ours)</a>\n"
          + "<a data-postwire-notrack href=\"https://example.com/private\">no track</a>\n"
          + "<a href=\"https://example.com/private2\" DATA-POSTWIRE-NOTRACK=\"\" class=k>no track 2</a>\n"
          + "<map><area shape=rect coords=\"0,0,1,1\" href=\"https://example.com/area\"></map>\n"
          + "<a href=\"javascript:alert(1)\">js</a>\n"
          + "<a>no href</a>\n"
          + "</body></html>\r\n";

  static final List<String> TRACKED =
      List.of(
          "http://example.com/plain",
          "https://example.com/q?a=1&b=2&c=%20x#frag",
          "HTTPS://EXAMPLE.COM/UPPER",
          "http://example.com/unquoted",
          "https://example.com/spaced",
          "https://example.com/area");

  static final List<String> UNTOUCHED =
      List.of(
          "mailto:someone@example.com",
          "tel:+15551234",
          "#section",
          "/relative/path",
          "https://example.com/unsub-header",
          "https://track.postwire.test/u/abc123",
          "https://example.com/private",
          "https://example.com/private2",
          "javascript:alert(1)");

  private TrackingFixtures() {}

  static SignedTokens signedTokens(byte fill) {
    byte[] key = new byte[32];
    java.util.Arrays.fill(key, fill);
    String encoded = Base64.getEncoder().encodeToString(key);
    return new SignedTokens(
        new DkimConfig() {
          @Override
          public Optional<String> masterKey() {
            return Optional.of(encoded);
          }

          @Override
          public Optional<List<String>> previousMasterKeys() {
            return Optional.empty();
          }
        });
  }

  static TrackingTokens tokens() {
    return new TrackingTokens(signedTokens((byte) 3));
  }

  static TrackingConfig config(int maxUrlLength) {
    return new TrackingConfig() {
      @Override
      public Duration machineWindow() {
        return Duration.ofSeconds(2);
      }

      @Override
      public int maxUrlLength() {
        return maxUrlLength;
      }

      @Override
      public int maxPendingEvents() {
        return 100;
      }

      @Override
      public Duration writeWait() {
        return Duration.ofMillis(250);
      }
    };
  }

  static PublicUrl publicUrl() {
    return () -> Optional.of(URI.create(BASE + "/"));
  }

  static HtmlTracking tracking(TrackingTokens tokens, int maxUrlLength) {
    return new HtmlTracking(publicUrl(), tokens, config(maxUrlLength));
  }
}

package io.postwire.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.domain.Mailbox;
import io.postwire.message.MimeRenderer;
import io.postwire.message.ValidatedMessage;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;

/**
 * Click tokens cannot be turned into a redirect anywhere but the link's own URL, and html with
 * tracking still meets every "Message content" rule once rendered.
 */
class TrackingProperties {

  private final TrackingTokens tokens = TrackingFixtures.tokens();
  private final TrackingTokens otherKey =
      new TrackingTokens(TrackingFixtures.signedTokens((byte) 9));
  private final HtmlTracking tracking = TrackingFixtures.tracking(tokens, 2000);
  private final int maxToken = TrackingTokens.maxClickToken(2000);

  private static final String B64URL =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  @Provide
  Arbitrary<String> urls() {
    Arbitrary<String> scheme = Arbitraries.of("http://", "https://", "HTTP://", "hTtPs://");
    Arbitrary<String> host =
        Arbitraries.strings().withChars("abcxyz019-.").ofMinLength(1).ofMaxLength(30);
    Arbitrary<String> rest =
        Arbitraries.strings()
            .withChars("abcXYZ019/?&=#%+;:@!$'()*,~-_.")
            .withCharRange('\u00e0', '\u00ff')
            .withChars("\u4e2d\u0444")
            .ofMaxLength(300);
    return Combinators.combine(scheme, host, rest).as((s, h, r) -> s + h + "/" + r);
  }

  /** What an attacker may do to a token: change, drop, add or move characters, or re-sign. */
  @Provide
  Arbitrary<Alteration> alterations() {
    Arbitrary<Integer> position = Arbitraries.integers().between(0, 10_000);
    Arbitrary<Character> c = Arbitraries.of(B64URL.chars().mapToObj(x -> (char) x).toList());
    Arbitrary<String> kind =
        Arbitraries.of("replace", "delete", "insert", "append", "truncate", "swap", "other-url");
    return Combinators.combine(kind, position, c).as(Alteration::new);
  }

  record Alteration(String kind, int position, char c) {
    String apply(String token) {
      int i = position % token.length();
      return switch (kind) {
        case "replace" ->
            token.charAt(i) == c
                ? token.substring(0, i) + (c == 'A' ? 'B' : 'A') + token.substring(i + 1)
                : token.substring(0, i) + c + token.substring(i + 1);
        case "delete" -> token.substring(0, i) + token.substring(i + 1);
        case "insert" -> token.substring(0, i) + c + token.substring(i);
        case "append" -> token + c;
        case "truncate" -> token.substring(0, i);
        case "swap" -> {
          int j = (i + 1) % token.length();
          char[] a = token.toCharArray();
          char t = a[i];
          a[i] = a[j];
          a[j] = t;
          yield new String(a);
        }
        default -> token;
      };
    }
  }

  @Property(tries = 500)
  void anAlteredTokenNeverLeadsAnywhereButTheOriginalUrl(
      @ForAll("urls") String url,
      @ForAll("urls") String attackerUrl,
      @ForAll("alterations") Alteration alteration,
      @ForAll @IntRange(min = 0, max = 70000) int index) {
    UUID message = UUID.randomUUID();
    String token = tokens.click(message, index, url);
    assertThat(tokens.verifyClick(token, maxToken).orElseThrow().url()).isEqualTo(url);
    String altered =
        alteration.kind().equals("other-url")
            ? otherKey.click(message, index, attackerUrl)
            : alteration.apply(token);
    Optional<TrackingTokens.Click> click = tokens.verifyClick(altered, maxToken);
    if (click.isPresent()) {
      // only a change that decodes to the same bytes (never a different URL) can pass
      assertThat(click.get().url()).isEqualTo(url);
      assertThat(click.get().messageId()).isEqualTo(message);
    }
    // an open token is no click token, and the other way round
    assertThat(tokens.verifyClick(tokens.open(message), maxToken)).isEmpty();
    assertThat(tokens.verifyOpen(token)).isEmpty();
  }

  @Property(tries = 200)
  void theRedirectLocationIsTheUrlWithOnlyNonAsciiAndSpacesEncoded(@ForAll("urls") String url) {
    String location = TrackingResource.location(url);
    assertThat(location).matches("[\\x21-\\x7e]+");
    if (url.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      assertThat(location).isEqualTo(url);
    }
    assertThat(TrackingResource.location("https://e.example/\u00fc x?q=\u4e2d"))
        .isEqualTo("https://e.example/%C3%BC%20x?q=%E4%B8%AD");
  }

  // ---- rendering ----

  @Provide
  Arbitrary<String> htmls() {
    Arbitrary<String> text =
        Arbitraries.strings()
            .withChars("abc XYZ<>&;#\u00e9\u4e2d")
            .withChars('\r', '\n')
            .ofMaxLength(120);
    Arbitrary<String> longLine =
        Arbitraries.strings().withChars("ab").ofMinLength(900).ofMaxLength(2500);
    Arbitrary<String> link =
        Combinators.combine(urls(), Arbitraries.of("\"", "'", ""), Arbitraries.of("a", "A", "area"))
            .as(
                (u, q, tag) ->
                    "<"
                        + tag
                        + " href="
                        + q
                        + (q.isEmpty() ? u.replaceAll("[ '\"<>=`]", "") : u.replace(q, ""))
                            .replace("&", "&amp;")
                        + q
                        + ">x</"
                        + tag
                        + ">");
    Arbitrary<String> other =
        Arbitraries.of(
            "<a href=\"mailto:a@b.c\">m</a>",
            "<a href=\"#top\">t</a>",
            "<a data-postwire-notrack href=\"https://n.example/\">n</a>",
            "<img src=\"cid:x\">",
            "\ud83d\ude00",
            "\r\n",
            "\n",
            "\r");
    Arbitrary<String> piece = Arbitraries.oneOf(text, link, link, other, longLine);
    Arbitrary<String> body = piece.list().ofMaxSize(12).map(l -> String.join("", l));
    Arbitrary<String> wrap = Arbitraries.of("%s", "<html><body>%s</body></html>", "<div>%s");
    return Combinators.combine(wrap, body)
        .as((w, b) -> w.replace("%s", b))
        .filter(s -> !s.isEmpty());
  }

  @Property(tries = 150)
  void renderingWithTrackingKeepsEveryMessageContentRule(
      @ForAll("htmls") String html, @ForAll boolean withText, @ForAll boolean opens)
      throws Exception {
    UUID id = UUID.randomUUID();
    String tracked = tracking.rewrite(html, id, opens, true, List.of());
    // every rewritten link verifies to a URL the original html holds
    for (Element a : Jsoup.parse(tracked).select("[href^=" + TrackingFixtures.BASE + "/t/c/]")) {
      String url =
          tokens
              .verifyClick(
                  a.attr("href").substring((TrackingFixtures.BASE + "/t/c/").length()), maxToken)
              .orElseThrow()
              .url();
      assertThat(
              Jsoup.parse(html).select("[href]").eachAttr("href").stream()
                  .map(HtmlTracking::trimControls))
          .contains(url);
    }
    String text = withText ? "plain\nbody \u00e9" : null;
    ValidatedMessage message =
        new ValidatedMessage(
            new Mailbox(null, "alice", "example.com"),
            List.of(new Mailbox(null, "bob", "example.org")),
            List.of(),
            List.of(),
            null,
            null,
            "s",
            text,
            tracked,
            Map.of(),
            List.of(),
            List.of(),
            null,
            null,
            Instant.now().plusSeconds(3600),
            ValidatedMessage.Track.NONE);
    byte[] bytes = new MimeRenderer().render(message, new Date()).bytes();
    int line = 0;
    for (int i = 0; i < bytes.length; i++) {
      byte b = bytes[i];
      assertThat(b).as("7-bit at %d", i).isBetween((byte) 1, (byte) 127);
      if (b == '\r') {
        assertThat(i + 1 < bytes.length && bytes[i + 1] == '\n')
            .as("CR before LF at %d", i)
            .isTrue();
      } else if (b == '\n') {
        assertThat(i > 0 && bytes[i - 1] == '\r').as("LF after CR at %d", i).isTrue();
        line = 0;
        continue;
      }
      if (b != '\r') {
        assertThat(++line).as("line length at %d", i).isLessThanOrEqualTo(998);
      }
    }
    MimeMessage parsed =
        new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
    String decodedHtml;
    if (withText) {
      Multipart alt = (Multipart) parsed.getContent();
      BodyPart plain = alt.getBodyPart(0);
      assertThat((String) plain.getContent()).isEqualTo("plain\r\nbody \u00e9");
      BodyPart htmlPart = alt.getBodyPart(1);
      assertThat(htmlPart.getContentType()).startsWith("text/html; charset=UTF-8");
      decodedHtml = (String) htmlPart.getContent();
    } else {
      assertThat(parsed.getContentType()).startsWith("text/html; charset=UTF-8");
      // a single part ends with the message: the last line end belongs to the body
      decodedHtml = ((String) parsed.getContent()).replaceFirst("\r\n$", "");
    }
    assertThat(escaped(decodedHtml)).isEqualTo(escaped(crlf(tracked)));
  }

  /** Line ends visible in a failure report. */
  private static String escaped(String s) {
    return s.replace("\r", "\\r").replace("\n", "\\n");
  }

  private static String crlf(String s) {
    return s.replace("\r\n", "\n").replace('\r', '\n').replace("\n", "\r\n");
  }
}

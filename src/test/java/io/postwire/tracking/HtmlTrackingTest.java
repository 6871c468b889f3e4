package io.postwire.tracking;

import static io.postwire.tracking.TrackingFixtures.BASE;
import static io.postwire.tracking.TrackingFixtures.HTML;
import static io.postwire.tracking.TrackingFixtures.TRACKED;
import static io.postwire.tracking.TrackingFixtures.UNTOUCHED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;

/** Link rewriting and the open pixel, on html as senders write it. */
class HtmlTrackingTest {

  private final TrackingTokens tokens = TrackingFixtures.tokens();
  private final HtmlTracking tracking = TrackingFixtures.tracking(tokens, 2000);
  private final UUID message = UUID.randomUUID();

  private String rewrite(String html, boolean opens, boolean clicks) {
    return tracking.rewrite(
        html, message, opens, clicks, List.of("https://example.com/unsub-header"));
  }

  @Test
  void everyHttpLinkLeadsThroughAClickTokenToExactlyItsUrlAndNoOtherLinkChanges() {
    Document doc = Jsoup.parse(rewrite(HTML, true, true));
    List<String> followed = new ArrayList<>();
    List<String> untouched = new ArrayList<>();
    for (Element link : doc.select("a[href], area[href]")) {
      String href = link.attr("href");
      if (href.startsWith(BASE + "/t/c/")) {
        TrackingTokens.Click click =
            tokens.verifyClick(href.substring((BASE + "/t/c/").length()), 4000).orElseThrow();
        assertThat(click.messageId()).isEqualTo(message);
        assertThat(click.index()).isEqualTo(followed.size());
        followed.add(click.url());
      } else {
        untouched.add(href);
      }
    }
    assertThat(followed).containsExactlyElementsOf(TRACKED);
    assertThat(untouched).containsExactlyElementsOf(UNTOUCHED);
    assertThat(doc.select("[data-postwire-notrack]")).isEmpty();
    assertThat(doc.select("a:not([href])")).hasSize(1);
  }

  @Test
  void theSendersHtmlStaysAsWrittenApartFromTheHrefsTheMarkerAndThePixel() {
    String out = rewrite(HTML, true, true);
    // entities, line ends, quoting and case as the sender wrote them
    assertThat(out)
        .startsWith("<!DOCTYPE html>\r\n<html><head><title>T&eacute;st</title></head>\r\n")
        .contains("<p>Caf&eacute; &amp; co &#8212; \u00fcn\u00efcode</p>\n")
        .contains("<A HREF=\"" + BASE + "/t/c/")
        .contains("<a href=" + BASE + "/t/c/")
        .contains("<a href=\"mailto:someone@example.com\">mail</a>\n")
        .contains("<a href=\"https://example.com/private\">no track</a>")
        .contains("<a href=\"https://example.com/private2\" class=k>no track 2</a>")
        .endsWith("</body></html>\r\n");
    // removing what was added gives the original back, the marker attributes aside
    String undone = out.replaceAll("<img src=\"" + BASE + "/t/o/[A-Za-z0-9_-]+\"[^>]*>", "");
    Document original = Jsoup.parse(HTML);
    Document rewritten = Jsoup.parse(undone);
    assertThat(rewritten.text()).isEqualTo(original.text());
  }

  @Test
  void theOpenPixelIsOneImageBeforeTheBodyEndOrAtTheEnd() {
    String out = rewrite(HTML, true, false);
    Document doc = Jsoup.parse(out);
    Element img = doc.selectFirst("img[src^=" + BASE + "/t/o/]");
    assertThat(img).isNotNull();
    assertThat(img.attr("width")).isEqualTo("1");
    assertThat(img.attr("height")).isEqualTo("1");
    assertThat(img.attr("alt")).isEmpty();
    assertThat(
            tokens.verifyOpen(img.attr("src").substring((BASE + "/t/o/").length())).orElseThrow())
        .isEqualTo(message);
    assertThat(out).contains("\"></body></html>");
    // opens only: no link rewritten
    assertThat(doc.select("a[href^=" + BASE + "/t/c/]")).isEmpty();
    // a fragment without </body>: the pixel goes at the end
    String fragment = rewrite("<p>hi <a href=\"https://example.com/\">x</a></p>", true, false);
    assertThat(fragment).startsWith("<p>hi <a href=\"https://example.com/\">x</a></p><img src=");
    assertThat(fragment).endsWith(">");
  }

  @Test
  void clicksOnlyAddsNoPixel() {
    String out = rewrite(HTML, false, true);
    assertThat(out).doesNotContain("/t/o/");
    assertThat(Jsoup.parse(out).select("a[href^=" + BASE + "/t/c/]")).hasSize(5);
  }

  @Test
  void aUrlLongerThanTheLimitIsLeftAsWritten() {
    HtmlTracking small = TrackingFixtures.tracking(tokens, 40);
    String longUrl = "https://example.com/" + "x".repeat(30);
    String out =
        small.rewrite(
            "<a href=\"" + longUrl + "\">a</a><a href=\"https://example.com/s\">b</a>",
            message,
            false,
            true,
            List.of());
    assertThat(out).contains("<a href=\"" + longUrl + "\">a</a>");
    assertThat(out).doesNotContain("https://example.com/s\"");
    assertThat(TrackingTokens.maxClickToken(2000)).isLessThan(2800);
  }

  @Test
  void linksWithControlCharactersOrUnderOurOwnTrackingPathsAreLeftAlone() {
    String html =
        "<a href=\"https://exa\tmple.com/\">tab</a>"
            + "<a href=\"https://track.postwire.test/t/c/zzz\">ours</a>"
            + "<a href=\"HTTPS://TRACK.POSTWIRE.TEST/U/abc\">unsub</a>";
    assertThat(rewrite(html, false, true)).isEqualTo(html);
  }

  @Test
  void theListUnsubscribeUrlsAreTheAngleBracketedOnes() {
    assertThat(
            HtmlTracking.listUnsubscribeUrls(
                "<https://example.com/u/1>, <mailto:u@example.com?subject=x>"))
        .containsExactly("https://example.com/u/1", "mailto:u@example.com?subject=x");
  }
}

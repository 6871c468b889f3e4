package io.postwire.tracking;

import io.postwire.platform.PublicUrl;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Attribute;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Range;
import org.jsoup.parser.Parser;

/**
 * Puts tracking into a message's html, once per message at enqueue: click tracking replaces the
 * {@code href} of {@code <a>} and {@code <area>} elements that point to {@code http(s)} URLs with
 * {@code <public-url>/t/c/<token>}, open tracking adds a 1×1 image {@code <public-url>/t/o/<token>}
 * before {@code </body>} (or at the end).
 *
 * <p>The html is parsed with jsoup (an HTML5 parser, so it finds links as a mail client does) with
 * source positions tracked, and only the ranges that change are replaced in the sender's text:
 * every other byte stays as written (no re-serialization, no reformatted entities or tags). A value
 * whose source text does not decode to what the parser saw is left alone.
 *
 * <p>Never rewritten: {@code mailto:}, {@code tel:}, anchors, relative and other non-{@code
 * http(s)} links; links under {@code <public-url>/u/} (unsubscribe) or {@code /t/} (already
 * tracked); URLs named in the sender's {@code List-Unsubscribe} header; URLs with control
 * characters (a browser would not follow them as written); URLs longer than {@code
 * postwire.tracking.max-url-length}; links whose element carries {@code data-postwire-notrack}, an
 * attribute removed from every element.
 */
@ApplicationScoped
public class HtmlTracking {

  /**
   * The attribute a sender puts on a link that must not be tracked; it never leaves the service.
   */
  public static final String NOTRACK = "data-postwire-notrack";

  private static final Pattern HTTP = Pattern.compile("(?i)^https?://.+", Pattern.DOTALL);
  private static final Pattern ANGLE = Pattern.compile("<([^>]*)>");
  private static final Set<String> LINKS = Set.of("a", "area");

  private final PublicUrl publicUrl;
  private final TrackingTokens tokens;
  private final TrackingConfig config;

  public HtmlTracking(PublicUrl publicUrl, TrackingTokens tokens, TrackingConfig config) {
    this.publicUrl = publicUrl;
    this.tokens = tokens;
    this.config = config;
  }

  private record Edit(int start, int end, String text) {}

  /**
   * The URLs of a {@code List-Unsubscribe} header value (RFC 2369 §3.1: angle-bracketed, comma
   * separated), never tracked.
   */
  public static List<String> listUnsubscribeUrls(String value) {
    List<String> urls = new ArrayList<>();
    if (value != null) {
      Matcher m = ANGLE.matcher(value);
      while (m.find()) {
        urls.add(m.group(1).trim());
      }
    }
    return urls;
  }

  /**
   * {@code html} with tracking for message {@code messageId}; {@code untracked} are URLs never to
   * rewrite (the message's unsubscribe links).
   */
  public String rewrite(
      String html, UUID messageId, boolean opens, boolean clicks, Collection<String> untracked) {
    String base =
        publicUrl
            .resolve("")
            .orElseThrow(
                () -> new IllegalStateException("tracking needs postwire.public-url to be set"));
    Document doc = Jsoup.parse(html, "", Parser.htmlParser().setTrackPosition(true));
    List<Edit> edits = new ArrayList<>();
    int index = 0;
    for (Element e : doc.getAllElements()) {
      boolean notrack = e.hasAttr(NOTRACK);
      if (notrack) {
        Attribute marker = e.attribute(NOTRACK);
        Edit strip = strip(html, marker);
        if (strip != null) {
          edits.add(strip);
        }
      }
      if (!clicks || notrack || !LINKS.contains(e.normalName()) || !e.hasAttr("href")) {
        continue;
      }
      Attribute href = e.attribute("href");
      String url = trackable(href.getValue(), base, untracked);
      Range.AttributeRange range = href.sourceRange();
      if (url == null || !range.isTracked() || !range.valueRange().isTracked()) {
        continue;
      }
      int start = range.valueRange().startPos();
      int end = range.valueRange().endPos();
      if (end <= start
          || end > html.length()
          || !Parser.unescapeEntities(html.substring(start, end), true).equals(href.getValue())) {
        continue;
      }
      edits.add(new Edit(start, end, base + "/t/c/" + tokens.click(messageId, index++, url)));
    }
    if (opens) {
      edits.add(pixel(html, doc, base + "/t/o/" + tokens.open(messageId)));
    }
    return apply(html, edits);
  }

  /**
   * The URL a link leads to when it is to be tracked, else null: what a browser follows (the value
   * without surrounding spaces and control characters), if it is {@code http(s)} and may be
   * tracked.
   */
  String trackable(String value, String base, Collection<String> untracked) {
    String url = trimControls(value);
    if (!HTTP.matcher(url).matches()) {
      return null;
    }
    for (int i = 0; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return null;
      }
    }
    String lower = url.toLowerCase(Locale.ROOT);
    String baseLower = base.toLowerCase(Locale.ROOT);
    if (lower.startsWith(baseLower + "/u/") || lower.startsWith(baseLower + "/t/")) {
      return null;
    }
    if (untracked.contains(url)) {
      return null;
    }
    if (url.getBytes(StandardCharsets.UTF_8).length > config.maxUrlLength()) {
      return null;
    }
    return url;
  }

  /** As the URL standard strips leading and trailing C0 controls and spaces. */
  static String trimControls(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) <= 0x20) {
      start++;
    }
    while (end > start && s.charAt(end - 1) <= 0x20) {
      end--;
    }
    return s.substring(start, end);
  }

  /**
   * Removes an attribute with the whitespace before it, scanning the source from its name: {@code
   * name}, {@code name=value}, {@code name="value"}, {@code name='value'}.
   */
  private static Edit strip(String html, Attribute attribute) {
    Range.AttributeRange range = attribute.sourceRange();
    if (!range.isTracked() || !range.nameRange().isTracked()) {
      return null;
    }
    int start = range.nameRange().startPos();
    int end = range.nameRange().endPos();
    if (end > html.length() || !html.substring(start, end).equalsIgnoreCase(NOTRACK)) {
      return null;
    }
    int i = skipSpace(html, end);
    if (i < html.length() && html.charAt(i) == '=') {
      i = skipSpace(html, i + 1);
      if (i < html.length() && (html.charAt(i) == '"' || html.charAt(i) == '\'')) {
        int close = html.indexOf(html.charAt(i), i + 1);
        if (close < 0) {
          return null;
        }
        end = close + 1;
      } else {
        while (i < html.length()
            && !Character.isWhitespace(html.charAt(i))
            && html.charAt(i) != '>') {
          i++;
        }
        end = i;
      }
    }
    while (start > 0 && Character.isWhitespace(html.charAt(start - 1))) {
      start--;
    }
    return new Edit(start, end, "");
  }

  private static int skipSpace(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  /** The open pixel, before the body's end tag as written, else at the end. */
  private static Edit pixel(String html, Document doc, String src) {
    String img =
        "<img src=\""
            + src.replace("&", "&amp;").replace("\"", "&quot;")
            + "\" width=\"1\" height=\"1\" alt=\"\""
            + " style=\"display:block;width:1px;height:1px;border:0;margin:0;padding:0\">";
    Range end = doc.body().endSourceRange();
    int at = html.length();
    if (end.isTracked()
        && !end.isImplicit()
        && end.startPos() <= html.length()
        && html.regionMatches(true, end.startPos(), "</body", 0, 6)) {
      at = end.startPos();
    }
    return new Edit(at, at, img);
  }

  private static String apply(String html, List<Edit> edits) {
    edits.sort(Comparator.comparingInt(Edit::start).thenComparingInt(Edit::end));
    StringBuilder out = new StringBuilder(html.length() + edits.size() * 200);
    int at = 0;
    for (Edit e : edits) {
      if (e.start() < at) {
        continue; // overlapping ranges cannot come from one parse; never apply both
      }
      out.append(html, at, e.start()).append(e.text());
      at = e.end();
    }
    return out.append(html, at, html.length()).toString();
  }
}

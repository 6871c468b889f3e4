package io.postwire.tracking;

import java.util.List;
import java.util.Locale;

/**
 * Which opens and clicks are made by machines rather than people, from the request alone (the other
 * sign, a request within {@code postwire.tracking.machine-window} of delivery, is checked where the
 * delivery is known). Flagged events count as opens and clicks but not as unique ones.
 *
 * <p>Opens: Apple Mail Privacy Protection fetches every image through Apple's proxy, whose user
 * agent is the bare {@code Mozilla/5.0}; Gmail's image proxy says {@code GoogleImageProxy}, Yahoo's
 * {@code YahooMailProxy}; a request without a user agent is no mail client.
 *
 * <p>Clicks: {@code HEAD} requests (a browser following a link sends {@code GET}), no user agent,
 * and the agents of link scanners in {@link #SCANNERS}.
 */
public final class MachineAgents {

  /** Image proxies of mailbox providers (lower case, matched as substrings). */
  public static final List<String> OPEN_PROXIES = List.of("googleimageproxy", "yahoomailproxy");

  /**
   * Link scanners and automated clients (lower case, matched as substrings): mail security gateways
   * (Barracuda, Mimecast, Proofpoint, Microsoft Defender Safe Links and Office's link preview,
   * Cisco IronPort, Trend Micro, Sophos, Forcepoint, Fortinet, Zscaler, Symantec), Bing's preview
   * fetcher, urlscan, and HTTP libraries and headless browsers that people do not click with.
   */
  public static final List<String> SCANNERS =
      List.of(
          "barracuda",
          "mimecast",
          "proofpoint",
          "safelinks",
          "safe links",
          "microsoft office/",
          "ms-office",
          "bingpreview",
          "ironport",
          "trendmicro",
          "trend micro",
          "sophos",
          "forcepoint",
          "fortiguard",
          "fortinet",
          "zscaler",
          "symantec",
          "urlscan",
          "python-requests",
          "python-urllib",
          "go-http-client",
          "java/",
          "okhttp",
          "curl/",
          "wget/",
          "libwww-perl",
          "headlesschrome",
          "phantomjs",
          "bot",
          "spider",
          "crawler",
          "scanner",
          "preview");

  /** Longest user agent kept in an event. */
  public static final int MAX_USER_AGENT = 256;

  private MachineAgents() {}

  /** True when an open with this user agent comes from a proxy, not a person's mail client. */
  public static boolean machineOpen(String userAgent) {
    if (userAgent == null || userAgent.isBlank()) {
      return true;
    }
    String ua = userAgent.trim();
    if (ua.equals("Mozilla/5.0")) {
      return true;
    }
    return containsAny(ua.toLowerCase(Locale.ROOT), OPEN_PROXIES);
  }

  /** True when a click made with this method and user agent comes from a scanner. */
  public static boolean machineClick(String method, String userAgent) {
    if ("HEAD".equalsIgnoreCase(method) || userAgent == null || userAgent.isBlank()) {
      return true;
    }
    return containsAny(userAgent.toLowerCase(Locale.ROOT), SCANNERS);
  }

  /** The user agent as stored: printable ASCII, at most {@link #MAX_USER_AGENT} characters. */
  public static String stored(String userAgent) {
    if (userAgent == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(Math.min(userAgent.length(), MAX_USER_AGENT));
    for (int i = 0; i < userAgent.length() && out.length() < MAX_USER_AGENT; i++) {
      char c = userAgent.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out.toString().trim();
  }

  private static boolean containsAny(String ua, List<String> needles) {
    for (String n : needles) {
      if (ua.contains(n)) {
        return true;
      }
    }
    return false;
  }
}

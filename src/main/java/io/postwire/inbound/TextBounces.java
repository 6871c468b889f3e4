package io.postwire.inbound;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a bounce that carries no RFC 3464 delivery-status part (some servers still send plain text,
 * as sendmail and qmail did): the first RFC 3463 enhanced status code in its text, else the first
 * SMTP reply code, else the phrases such bounces use. The result goes through the same classifier
 * as synchronous replies. Only the first {@link #SCAN_LIMIT} characters are read.
 */
public final class TextBounces {

  /** Characters of a bounce read for its status: the explanation comes before the quoted mail. */
  static final int SCAN_LIMIT = 16 * 1024;

  // RFC 3463 §2: class "." subject "." detail, subject and detail at most three digits
  private static final Pattern ENHANCED =
      Pattern.compile("(?<![\\d.])([245])\\.(\\d{1,3})\\.(\\d{1,3})(?![\\d.]*\\d)");
  private static final Pattern BASIC = Pattern.compile("(?<![\\d.])([45][0-5]\\d)(?=[ -])");

  /** Phrase → the status code it means, the most specific first. */
  private static final String[][] PHRASES = {
    {"mailbox is full", "4.2.2"},
    {"over quota", "4.2.2"},
    {"quota exceeded", "4.2.2"},
    {"mailbox full", "4.2.2"},
    {"user unknown", "5.1.1"},
    {"unknown user", "5.1.1"},
    {"no such user", "5.1.1"},
    {"no such mailbox", "5.1.1"},
    {"does not exist", "5.1.1"},
    {"mailbox unavailable", "5.1.1"},
    {"recipient address rejected", "5.1.1"},
    {"account has been disabled", "5.2.1"},
    {"account is disabled", "5.2.1"},
    {"host not found", "5.1.2"},
    {"domain not found", "5.1.2"},
    {"delivery temporarily suspended", "4.4.1"},
    {"will keep trying", "4.4.7"},
    {"will retry", "4.4.7"},
    {"permanent error", "5.0.0"},
    {"could not be delivered", "5.0.0"},
    {"undeliverable", "5.0.0"},
    {"delivery has failed", "5.0.0"},
  };

  private TextBounces() {}

  /**
   * What a plain-text bounce says.
   *
   * @param enhancedCode an RFC 3463 code ({@code 5.1.1}), never null
   * @param code the SMTP reply code found or implied by the class (550 or 450)
   * @param text the line the status was found on, at most 512 characters; null for a phrase
   */
  public record Status(String enhancedCode, int code, String text) {

    /** Whether the failure is permanent (class 5). */
    public boolean permanent() {
      return enhancedCode.startsWith("5.");
    }
  }

  /** The status the text gives, or null when it reads as no bounce at all. */
  public static Status read(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    String scanned = text.length() > SCAN_LIMIT ? text.substring(0, SCAN_LIMIT) : text;
    Matcher enhanced = ENHANCED.matcher(scanned);
    while (enhanced.find()) {
      if (enhanced.group(1).equals("2")) {
        continue;
      }
      String line = line(scanned, enhanced.start());
      Matcher basic = BASIC.matcher(line);
      int code = basic.find() ? Integer.parseInt(basic.group(1)) : implied(enhanced.group(1));
      // a reply code of the other class than the enhanced code contradicts it: trust the class
      if (code / 100 != Integer.parseInt(enhanced.group(1))) {
        code = implied(enhanced.group(1));
      }
      return new Status(enhanced.group(), code, line);
    }
    Matcher basic = BASIC.matcher(scanned);
    if (basic.find()) {
      int code = Integer.parseInt(basic.group(1));
      return new Status((code / 100) + ".0.0", code, line(scanned, basic.start()));
    }
    String lower = scanned.toLowerCase(Locale.ROOT);
    for (String[] phrase : PHRASES) {
      if (lower.contains(phrase[0])) {
        return new Status(phrase[1], implied(phrase[1].substring(0, 1)), null);
      }
    }
    return null;
  }

  private static int implied(String statusClass) {
    return statusClass.equals("5") ? 550 : 450;
  }

  private static String line(String text, int at) {
    int start = text.lastIndexOf('\n', at) + 1;
    int end = text.indexOf('\n', at);
    String line = text.substring(start, end < 0 ? text.length() : end).strip();
    return line.length() > 512 ? line.substring(0, 512) : line;
  }
}

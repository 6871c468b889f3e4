package io.postwire.delivery.smtp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses SMTP replies from their text: multi-line replies (RFC 5321 §4.2.1), enhanced status codes
 * (RFC 3463, as carried by RFC 2034) and "try again in …" hints.
 *
 * <p>Everything here is pure and thread-safe; it never relies on a mail client's own parsing.
 */
public final class SmtpReplies {

  // RFC 3463 §2: class "." subject "." detail; subject and detail are 1-3 digits.
  private static final Pattern ENHANCED =
      Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?=\\s|$)");

  private static final Pattern RETRY_HINT =
      Pattern.compile(
          "\\b(?:try(?:\\s+again)?|retry(?:\\s+again)?)\\s+(?:in|after)\\s+(\\d{1,6})\\s*"
              + "(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\\b",
          Pattern.CASE_INSENSITIVE);

  private SmtpReplies() {}

  /**
   * Parses one complete reply from its lines (without line ends), e.g. {@code ["250-mx.example
   * Hello", "250-PIPELINING", "250 SIZE 1000"]}. A reply whose lines do not start with a
   * three-digit code is returned with code 0 and the raw text, so that callers treat it as a
   * transient protocol failure instead of guessing.
   */
  public static SmtpReply parse(List<String> lines) {
    if (lines.isEmpty()) {
      return new SmtpReply(0, null, "empty reply");
    }
    int code = codeOf(lines.get(0));
    if (code < 0) {
      return new SmtpReply(0, null, "malformed reply: " + String.join(" ", lines));
    }
    String firstDigit = String.valueOf(code / 100);
    String enhanced = null;
    List<String> texts = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String text = line.length() > 4 ? line.substring(4) : "";
      // RFC 2034 §4: the enhanced code prefixes the text of every line of the reply; it counts
      // only when its class matches the reply code's class.
      Matcher m = ENHANCED.matcher(text);
      if (m.find() && m.group(1).equals(firstDigit)) {
        if (i == 0) {
          enhanced = m.group();
        }
        if (enhanced != null && m.group().equals(enhanced)) {
          text = text.substring(m.end()).stripLeading();
        }
      }
      if (!text.isEmpty()) {
        texts.add(text);
      }
    }
    return new SmtpReply(code, enhanced, String.join(" ", texts));
  }

  /** Parses a reply given as one string, lines separated by CRLF or LF. */
  public static SmtpReply parse(String reply) {
    return parse(List.of(reply.strip().split("\r?\n")));
  }

  /**
   * The RFC 3463 code at the start of {@code text}, or {@code null} when absent or when its class
   * differs from the first digit of {@code replyCode} (RFC 2034 §4: a 250 reply cannot carry
   * "5.1.1").
   */
  public static String enhancedCode(int replyCode, String text) {
    Matcher m = ENHANCED.matcher(text == null ? "" : text.stripLeading());
    return m.find() && m.group(1).equals(String.valueOf(replyCode / 100)) ? m.group() : null;
  }

  /**
   * A server's explicit retry hint ("try again in 5 minutes", "retry in 30 seconds", "try again
   * after 2 hours"); vague texts such as "Try again later" give none.
   */
  public static Optional<Duration> retryAfter(String text) {
    if (text == null) {
      return Optional.empty();
    }
    Matcher m = RETRY_HINT.matcher(text);
    if (!m.find()) {
      return Optional.empty();
    }
    long amount = Long.parseLong(m.group(1));
    String unit = m.group(2).toLowerCase(Locale.ROOT);
    if (unit.startsWith("h")) {
      return Optional.of(Duration.ofHours(amount));
    }
    if (unit.startsWith("m")) {
      return Optional.of(Duration.ofMinutes(amount));
    }
    return Optional.of(Duration.ofSeconds(amount));
  }

  /**
   * {@code text} with every control character but tab (C0, DEL, C1: NUL among them) replaced by a
   * space, cut to at most {@code max} characters, the cut marked with "...". {@code null} stays
   * {@code null}.
   */
  public static String printable(String text, int max) {
    if (text == null) {
      return null;
    }
    boolean clean = text.length() <= max;
    for (int i = 0; clean && i < text.length(); i++) {
      char c = text.charAt(i);
      clean = c == '\t' || !Character.isISOControl(c);
    }
    if (clean) {
      return text;
    }
    String marker = "...";
    int keep = text.length() <= max ? text.length() : max - marker.length();
    if (keep > 0 && keep < text.length() && Character.isHighSurrogate(text.charAt(keep - 1))) {
      keep--;
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), max));
    for (int i = 0; i < keep; i++) {
      char c = text.charAt(i);
      out.append(c == '\t' || !Character.isISOControl(c) ? c : ' ');
    }
    if (keep < text.length()) {
      out.append(marker);
    }
    return out.toString();
  }

  /**
   * Whether {@code line} ends a reply (RFC 5321 §4.2.1: "code SP text" or the bare code; every
   * other line of a multi-line reply is "code-text").
   */
  static boolean isLastLine(String line) {
    return line.length() < 4 || line.charAt(3) != '-';
  }

  /** The three-digit code at the start of {@code line}, or -1. */
  static int codeOf(String line) {
    if (line.length() < 3) {
      return -1;
    }
    int code = 0;
    for (int i = 0; i < 3; i++) {
      char c = line.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      code = code * 10 + (c - '0');
    }
    if (code < 200 || code > 599 || (line.length() > 3 && " -".indexOf(line.charAt(3)) < 0)) {
      return -1;
    }
    return code;
  }
}

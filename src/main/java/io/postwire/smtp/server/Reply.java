package io.postwire.smtp.server;

import java.util.List;

/**
 * An SMTP reply (RFC 5321 §4.2) with its enhanced status code (RFC 2034/3463): one or more text
 * lines under one code.
 */
public record Reply(int code, String enhanced, List<String> lines) {

  public Reply(int code, String enhanced, String text) {
    this(code, enhanced, List.of(text));
  }

  /** The reply as written on the wire, each line ending in CRLF. */
  public String wire() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < lines.size(); i++) {
      out.append(code).append(i == lines.size() - 1 ? ' ' : '-');
      if (enhanced != null) {
        out.append(enhanced).append(' ');
      }
      out.append(lines.get(i).replace('\r', ' ').replace('\n', ' ')).append("\r\n");
    }
    return out.toString();
  }

  /** Whether the reply accepts what it answers (2xx or 3xx). */
  public boolean positive() {
    return code < 400;
  }
}

package io.postwire.dkim;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** Message shapes that exercise RFC 6376 relaxed canonicalization, all with CRLF line ends. */
final class TestMessages {

  private TestMessages() {}

  /** Joins lines with CRLF; a trailing CRLF follows the last line. */
  static byte[] crlf(String... lines) {
    return (String.join("\r\n", lines) + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] simple() {
    return crlf(
        "From: Alice <alice@example.org>",
        "To: Bob <bob@example.net>",
        "Subject: Hello",
        "Date: Tue, 02 Jun 2026 10:00:00 +0000",
        "Message-ID: <1@example.org>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "Hi Bob.",
        "",
        "Alice.");
  }

  /** Every shape the signer has to get exactly right, by name. */
  static Map<String, byte[]> shapes() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("simple", simple());
    m.put(
        "rfc2047 headers and quoted-printable body",
        crlf(
            "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.org>",
            "To: =?UTF-8?B?w4lsb2RpZSBEdXBvbnQ=?= <elodie@example.net>",
            "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln_=E2=9C=93?=",
            "Date: Tue, 02 Jun 2026 10:00:00 +0000",
            "Message-ID: <2@example.org>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            "Gr=C3=BC=C3=9Fe, =C3=89lodie! Ein sehr langer Satz, der umbrochen werden mu=",
            "ss, weil quoted-printable Zeilen h=C3=B6chstens 76 Zeichen lang sind.=20",
            "Ende."));
    m.put(
        "multipart with base64 attachment",
        crlf(
            "From: reports@example.org",
            "To: ops@example.net",
            "Cc: audit@example.net, other@example.net",
            "Reply-To: noreply@example.org",
            "Subject: Monthly report",
            "Date: Tue, 02 Jun 2026 10:00:00 +0000",
            "Message-ID: <3@example.org>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"b1_xyz\"",
            "List-Unsubscribe: <mailto:unsub@example.org>, <https://example.org/u/1>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            "",
            "--b1_xyz",
            "Content-Type: text/plain; charset=us-ascii",
            "",
            "See attached.",
            "--b1_xyz",
            "Content-Type: application/octet-stream; name=\"data.bin\"",
            "Content-Transfer-Encoding: base64",
            "Content-Disposition: attachment; filename=\"data.bin\"",
            "",
            base64Lines(3000),
            "--b1_xyz--"));
    m.put(
        "long lines",
        crlf(
            "From: a@example.org",
            "To: b@example.net",
            "Subject: " + "long subject words ".repeat(30).strip(),
            "Date: Tue, 02 Jun 2026 10:00:00 +0000",
            "Message-ID: <4@example.org>",
            "",
            "x".repeat(990),
            "y ".repeat(400).strip()));
    m.put(
        "trailing whitespace",
        crlf(
            "From: a@example.org   ",
            "To: b@example.net\t",
            "Subject: trailing \t ",
            "Date: Tue, 02 Jun 2026 10:00:00 +0000",
            "Message-ID: <5@example.org>",
            "",
            "line with trailing spaces   ",
            "line with trailing tab\t",
            "   ",
            "inner   runs \t of\t\twhitespace",
            "",
            "",
            "  \t"));
    m.put(
        "folded headers",
        crlf(
            "From: a@example.org",
            "To: first@example.net,",
            "  second@example.net,",
            "\tthird@example.net",
            "Subject: a subject that",
            " was folded  over",
            "\t  three lines",
            "Date: Tue, 02 Jun 2026 10:00:00 +0000",
            "Message-ID: <6@example.org>",
            "Content-Type: text/plain;",
            "\tcharset=us-ascii",
            "",
            "body"));
    m.put(
        "leading whitespace in values",
        crlf(
            "From:    a@example.org",
            "To:\tb@example.net",
            "Subject:no space at all",
            "Date:   Tue, 02 Jun 2026 10:00:00 +0000",
            "Message-ID:  <7@example.org>",
            "",
            "  leading spaces in the body stay one space"));
    m.put(
        "empty body",
        crlf(
            "From: a@example.org",
            "To: b@example.net",
            "Subject: nothing to say",
            "Date: Tue, 02 Jun 2026 10:00:00 +0000",
            "Message-ID: <8@example.org>",
            ""));
    m.put(
        "body of empty lines only",
        crlf(
            "From: a@example.org",
            "To: b@example.net",
            "Subject: blank",
            "Date: Tue, 02 Jun 2026 10:00:00 +0000",
            "",
            "",
            "",
            ""));
    m.put(
        "body without final CRLF",
        withoutFinalCrlf(
            crlf(
                "From: a@example.org",
                "To: b@example.net",
                "Subject: unterminated",
                "Date: Tue, 02 Jun 2026 10:00:00 +0000",
                "",
                "last line has no CRLF")));
    m.put(
        "repeated and mixed-case headers",
        crlf(
            "from: a@example.org",
            "TO: b@example.net",
            "to: c@example.net",
            "Cc: d@example.net",
            "CC: e@example.net",
            "SUBJECT: case",
            "Date: Tue, 02 Jun 2026 10:00:00 +0000",
            "Received: from x by y; Tue, 02 Jun 2026 10:00:00 +0000",
            "",
            "body"));
    return m;
  }

  static byte[] withoutFinalCrlf(byte[] m) {
    return Arrays.copyOf(m, m.length - 2);
  }

  /** About {@code bytes} bytes of base64 in 76-character lines, joined by CRLF. */
  static String base64Lines(int bytes) {
    byte[] data = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      data[i] = (byte) (i * 31 + 7);
    }
    return Base64.getMimeEncoder().encodeToString(data);
  }

  /** A message whose body is about {@code size} bytes of plain text in 72-character lines. */
  static byte[] ofSize(int size) {
    StringBuilder sb =
        new StringBuilder(
            "From: Alice <alice@example.org>\r\n"
                + "To: Bob <bob@example.net>\r\n"
                + "Subject: Benchmark message\r\n"
                + "Date: Tue, 02 Jun 2026 10:00:00 +0000\r\n"
                + "Message-ID: <bench@example.org>\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "\r\n");
    String line = "The quick brown fox jumps over the lazy dog, again and again and again.";
    while (sb.length() < size) {
      sb.append(line).append("\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] concat(String header, byte[] message) {
    byte[] h = header.getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(h, h.length + message.length);
    System.arraycopy(message, 0, out, h.length, message.length);
    return out;
  }
}

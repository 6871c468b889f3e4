package io.postwire.inbound.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties over generated RFC 3464 reports and over mutated and malformed messages: the parser
 * reads back exactly what was generated, never fails inside (an internal exception would surface as
 * "unreadable message"), and never reports a recipient address that is not in the input.
 */
class InboundReportsProperties {

  /** One generated per-recipient group (RFC 3464 section 2.3). */
  record Group(
      String local,
      String domain,
      Action action,
      String detail,
      String diagnosticText,
      String remoteMta,
      boolean comment,
      boolean fold,
      boolean upperCaseNames) {

    String address() {
      return local + "@" + domain;
    }

    String status() {
      char cls =
          switch (action) {
            case FAILED -> '5';
            case DELAYED -> '4';
            default -> '2';
          };
      return cls + "." + detail;
    }

    String diagnostic() {
      return diagnosticText == null
          ? null
          : "smtp; " + status().charAt(0) + "50 " + status() + " " + diagnosticText;
    }

    String render(String eol) {
      StringBuilder b = new StringBuilder();
      b.append(name("Final-Recipient"))
          .append(": rfc822;")
          .append(comment ? " (final) " : " ")
          .append(address())
          .append(eol);
      b.append(name("Action")).append(": ").append(action.name().toLowerCase(Locale.ROOT));
      b.append(comment ? " (action)" : "").append(eol);
      b.append(name("Status"))
          .append(": ")
          .append(status())
          .append(comment ? " (status)" : "")
          .append(eol);
      if (diagnosticText != null) {
        String d = diagnostic();
        int space = d.lastIndexOf(' ');
        if (fold && space > 6) {
          // RFC 5322 folding: the line break goes before white space
          d = d.substring(0, space) + eol + "   " + d.substring(space + 1);
        }
        b.append(name("Diagnostic-Code")).append(": ").append(d).append(eol);
      }
      if (remoteMta != null) {
        b.append(name("Remote-MTA")).append(": dns; ").append(remoteMta).append(eol);
      }
      return b.toString();
    }

    private String name(String n) {
      return upperCaseNames ? n.toUpperCase(Locale.ROOT) : n;
    }

    RecipientStatus expected() {
      return new RecipientStatus(address(), null, action, status(), diagnostic(), remoteMta);
    }
  }

  @Provide
  Arbitrary<Group> groups() {
    Arbitrary<String> local =
        Arbitraries.strings()
            .withChars("abcdefghijklmnopqrstuvwxyz0123456789._+-=")
            .ofMinLength(1)
            .ofMaxLength(30);
    Arbitrary<String> domain =
        Combinators.combine(
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12),
                Arbitraries.of("example", "org", "net", "co.uk"))
            .as((a, b) -> a + "." + b);
    Arbitrary<String> detail =
        Combinators.combine(
                Arbitraries.integers().between(0, 7), Arbitraries.integers().between(0, 99))
            .as((s, d) -> s + "." + d);
    Arbitrary<String> words =
        Arbitraries.strings()
            .withChars("abcdefghijklmnopqrstuvwxyz <>@.:;")
            .ofMinLength(1)
            .ofMaxLength(60)
            // folding joins at one space (Headers), so runs of spaces are not generated
            .map(w -> w.replaceAll(" +", " ").strip())
            .filter(s -> !s.isEmpty())
            .injectNull(0.3);
    Arbitrary<String> mta =
        Arbitraries.strings()
            .withCharRange('a', 'z')
            .ofMinLength(1)
            .ofMaxLength(10)
            .map(s -> "mx." + s + ".example")
            .injectNull(0.4);
    return Combinators.combine(
            local,
            domain,
            Arbitraries.of(Action.class),
            detail,
            words,
            mta,
            Arbitraries.of(true, false),
            Arbitraries.of(true, false))
        .as((l, d, a, st, w, m, c, f) -> new Group(l, d, a, st, w, m, c, f, l.length() % 2 == 0));
  }

  @Property(tries = 500)
  void rfc3464GeneratedReportsAreReadBackExactly(
      @ForAll @Size(min = 1, max = 30) List<@From("groups") Group> groups,
      @ForAll boolean crlf,
      @ForAll @IntRange(min = 0, max = 3) int blankLinesBetweenGroups) {
    String eol = crlf ? "\r\n" : "\n";
    StringBuilder status = new StringBuilder("Reporting-MTA: dns; reporter.example").append(eol);
    for (Group g : groups) {
      status.append(eol.repeat(1 + blankLinesBetweenGroups)).append(g.render(eol));
    }
    String message =
        String.join(
            eol,
            "From: MAILER-DAEMON@reporter.example",
            "Subject: Delivery Status Notification (Failure)",
            "Auto-Submitted: auto-replied",
            "Content-Type: multipart/report; report-type=delivery-status;",
            " boundary=\"gen-boundary\"",
            "",
            "--gen-boundary",
            "Content-Type: text/plain",
            "",
            "Delivery failed for some recipients.",
            "--gen-boundary",
            "Content-Type: message/delivery-status",
            "",
            status.toString(),
            "--gen-boundary--",
            "");
    InboundReport report = InboundReports.parse(message.getBytes(StandardCharsets.UTF_8));
    assertThat(report).isInstanceOf(DeliveryReport.class);
    DeliveryReport d = (DeliveryReport) report;
    assertThat(d.standard()).isTrue();
    assertThat(d.reportingMta()).isEqualTo("reporter.example");
    assertThat(d.recipients())
        .containsExactlyElementsOf(groups.stream().map(Group::expected).toList());
  }

  @Property(tries = 30)
  void aReportKeepsAtMostTheCapOfRecipients(@ForAll @IntRange(min = 1, max = 3000) int n) {
    StringBuilder status = new StringBuilder("Reporting-MTA: dns; r.example\n");
    for (int i = 0; i < n; i++) {
      status
          .append("\nFinal-Recipient: rfc822; r")
          .append(i)
          .append("@example.org\nAction: failed\nStatus: 5.1.1\n");
    }
    DeliveryReport d =
        Messages.parseAs(DeliveryReport.class, Rfc3464ExamplesTest.dsn(status.toString()));
    assertThat(d.recipients()).hasSize(Math.min(n, InboundReports.MAX_RECIPIENTS));
  }

  /** One edit of a message: delete, insert, duplicate or overwrite a slice, with ASCII only. */
  record Mutation(int kind, double at, int length, String text) {

    byte[] apply(byte[] in) {
      int pos = (int) (at * in.length);
      int len = Math.min(length, in.length - pos);
      byte[] insert = text.getBytes(StandardCharsets.US_ASCII);
      byte[] out;
      switch (kind) {
        case 0 -> { // delete
          out = new byte[in.length - len];
          System.arraycopy(in, 0, out, 0, pos);
          System.arraycopy(in, pos + len, out, pos, in.length - pos - len);
        }
        case 1 -> { // insert
          out = new byte[in.length + insert.length];
          System.arraycopy(in, 0, out, 0, pos);
          System.arraycopy(insert, 0, out, pos, insert.length);
          System.arraycopy(in, pos, out, pos + insert.length, in.length - pos);
        }
        case 2 -> { // duplicate a slice
          out = new byte[in.length + len];
          System.arraycopy(in, 0, out, 0, pos + len);
          System.arraycopy(in, pos, out, pos + len, in.length - pos);
        }
        default -> { // overwrite
          out = in.clone();
          for (int i = 0; i < insert.length && pos + i < out.length; i++) {
            out[pos + i] = insert[i];
          }
        }
      }
      return out;
    }
  }

  @Provide
  Arbitrary<Mutation> mutations() {
    Arbitrary<String> text =
        Arbitraries.oneOf(
            Arbitraries.strings().ascii().ofMaxLength(20),
            Arbitraries.of(
                "\r\n",
                "\n\n",
                "\r\n\r\n",
                "--",
                ":",
                ";",
                "(",
                ")",
                "\"",
                "<",
                ">",
                "@",
                " ",
                "\t",
                "=",
                "Content-Type: multipart/report; boundary=x\r\n",
                "Content-Type: message/delivery-status\r\n\r\n",
                "Content-Transfer-Encoding: base64\r\n",
                "Content-Transfer-Encoding: quoted-printable\r\n",
                "Final-Recipient: rfc822;",
                "Action: failed\r\n",
                "Status: 5.",
                "=?utf-8?B?",
                "?="));
    return Combinators.combine(
            Arbitraries.integers().between(0, 3),
            Arbitraries.doubles().between(0, 1),
            Arbitraries.integers().between(0, 200),
            text)
        .as(Mutation::new);
  }

  @Provide
  Arbitrary<String> fixtures() {
    return Arbitraries.of(
        "rfc3464-a1-simple.eml",
        "rfc3464-a2-multi-recipient.eml",
        "rfc3464-a3-gateway.eml",
        "rfc3464-a4-delayed.eml",
        "postfix-dsn.eml",
        "rfc5965-b1-simple.eml",
        "rfc5965-b2-optional-fields.eml",
        "qmail-bounce.eml",
        "exim-bounce.eml",
        "exim-delay.eml",
        "exchange-undeliverable.eml",
        "vacation-de.eml");
  }

  @Property(tries = 2000)
  void mutatedReportsNeverFailInsideAndNeverReportAnAddressThatIsNotInTheInput(
      @ForAll("fixtures") String fixture,
      @ForAll @Size(max = 8) List<@From("mutations") Mutation> edits) {
    byte[] message = Messages.resource(fixture);
    for (Mutation m : edits) {
      message = m.apply(message);
    }
    InboundReport report = InboundReports.parse(message);
    assertWellFormed(report);
    String input = new String(message, StandardCharsets.ISO_8859_1);
    for (String address : addressesIn(report)) {
      assertThat(input).as("reported address").contains(address);
    }
  }

  @Property(tries = 1000)
  void arbitraryOctetsNeverFailInside(
      @ForAll @Size(max = 4000) byte[] body, @ForAll boolean asReport) {
    byte[] prefix =
        (asReport
                ? "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n"
                    + "Content-Type: message/delivery-status\r\n\r\n"
                : "")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] message = new byte[prefix.length + body.length];
    System.arraycopy(prefix, 0, message, 0, prefix.length);
    System.arraycopy(body, 0, message, prefix.length, body.length);
    assertWellFormed(InboundReports.parse(message));
  }

  @Property(tries = 300)
  void humanMailWithoutBounceOrAutoReplyMarkersIsNeverABounce(
      @ForAll @Size(max = 40)
          List<@net.jqwik.api.constraints.AlphaChars @Size(max = 12) String> words,
      @ForAll @IntRange(min = 100, max = 599) int number) {
    String text = String.join(" ", words) + " ref " + number + " write to alice@example.org";
    InboundReport r =
        InboundReports.parse(
            Messages.crlf(
                "From: Bob <bob@example.org>\nSubject: Re: "
                    + String.join(" ", words)
                    + "\n\n"
                    + text
                    + "\n"));
    assertThat(r).isInstanceOfAny(UnrecognizedMail.class, AutoReply.class);
    if (r instanceof AutoReply a) {
      // only a vacation phrase the words happen to spell
      assertThat(a.reason()).startsWith("Subject: ");
    }
  }

  private static void assertWellFormed(InboundReport report) {
    assertThat(report).isNotNull();
    if (report instanceof UnrecognizedMail u) {
      assertThat(u.reason()).doesNotStartWith("unreadable");
    }
    if (report instanceof DeliveryReport d) {
      assertThat(d.recipients())
          .isNotEmpty()
          .hasSizeLessThanOrEqualTo(InboundReports.MAX_RECIPIENTS);
      for (RecipientStatus r : d.recipients()) {
        assertThat(r.action()).isNotNull();
        assertThat(r.status()).matches("[245]\\.[0-9]{1,3}\\.[0-9]{1,3}");
        if (r.diagnosticCode() != null) {
          assertThat(r.diagnosticCode().length())
              .isLessThanOrEqualTo(InboundReports.MAX_DIAGNOSTIC);
        }
        if (d.standard()) {
          assertThat(r.finalRecipient()).isNotNull();
        }
      }
    }
  }

  private static List<String> addressesIn(InboundReport report) {
    List<String> out = new ArrayList<>();
    if (report instanceof DeliveryReport d) {
      for (RecipientStatus r : d.recipients()) {
        if (r.finalRecipient() != null) {
          out.add(r.finalRecipient());
        }
        if (r.originalRecipient() != null) {
          out.add(r.originalRecipient());
        }
      }
    }
    if (report instanceof ComplaintReport c && c.originalRcptTo() != null) {
      out.add(c.originalRcptTo());
    }
    return out;
  }
}

package io.postwire.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The command parser: verbs in any case, paths and ESMTP parameters (RFC 5321 §4.1.2). */
class CommandProperties {

  @Provide
  Arbitrary<String> addresses() {
    Arbitrary<String> local =
        Arbitraries.strings()
            .withChars("abcXYZ019.+-_=!#$%&'*/?^`{|}~")
            .ofMinLength(1)
            .ofMaxLength(30);
    Arbitrary<String> domain =
        Arbitraries.strings().withChars("abcdefxyz0129-.").ofMinLength(1).ofMaxLength(30);
    return Combinators.combine(local, domain).as((l, d) -> l + "@" + d);
  }

  @Property
  void mailPathAndParametersRoundTrip(
      @ForAll("addresses") String address,
      @ForAll @LongRange(min = 0, max = 100_000_000) long size,
      @ForAll boolean upper) {
    String verb = upper ? "MAIL FROM:" : "mail from:";
    Command c = Command.parse(verb + "<" + address + "> SIZE=" + size + " body=8BITMIME");
    assertThat(c.verb()).isEqualTo("MAIL");
    Command.Path path = c.path("FROM:");
    assertThat(path.address()).isEqualTo(address);
    assertThat(path.parameters())
        .isEqualTo(Map.of("SIZE", Long.toString(size), "BODY", "8BITMIME"));
    assertThat(Command.mailbox(path.address())).isTrue();
  }

  @Test
  void nullSenderSourceRoutesAndBadPaths() {
    assertThat(Command.parse("MAIL FROM:<>").path("FROM:").address()).isEmpty();
    assertThat(Command.parse("RCPT TO:<@relay.example:bob@example.org>").path("TO:").address())
        .isEqualTo("bob@example.org");
    assertThat(Command.parse("MAIL FROM: <a@b.example>").path("FROM:").address())
        .isEqualTo("a@b.example");
    assertThat(Command.parse("MAIL FROM:a@b.example").path("FROM:")).isNull();
    assertThat(Command.parse("MAIL FROM:<a b@c.example>").path("FROM:")).isNull();
    assertThat(Command.parse("MAIL FROM:<a@b.example>SIZE=1").path("FROM:")).isNull();
    assertThat(Command.parse("RCPT TO:<a@b.example>").path("FROM:")).isNull();
    assertThat(Command.mailbox("nobody")).isFalse();
  }

  @Test
  void repliesCarryTheEnhancedCodeOnEveryLine() {
    assertThat(new Reply(250, "2.0.0", List.of("one", "two")).wire())
        .isEqualTo("250-2.0.0 one\r\n250 2.0.0 two\r\n");
    assertThat(new Reply(550, "5.7.1", "no\r\nInjected: x").wire())
        .isEqualTo("550 5.7.1 no  Injected: x\r\n");
  }
}

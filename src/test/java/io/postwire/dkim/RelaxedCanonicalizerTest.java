package io.postwire.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.dkim.RelaxedCanonicalizer.ByteSink;
import io.postwire.dkim.RelaxedCanonicalizer.Field;
import io.postwire.dkim.RelaxedCanonicalizer.Header;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Relaxed canonicalization, RFC 6376 §3.4.2 and §3.4.4, with the §3.4.5 example. */
class RelaxedCanonicalizerTest {

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static String canonicalHeaders(String header) {
    byte[] m = ascii(header + "\r\n");
    Header h = RelaxedCanonicalizer.parseHeader(m);
    ByteSink out = new ByteSink(16);
    for (Field f : h.fields()) {
      RelaxedCanonicalizer.header(m, f.start(), f.colon(), f.end(), out);
      out.crlf();
    }
    return new String(out.buf, 0, out.size, StandardCharsets.US_ASCII);
  }

  /** The canonical body, recovered by hashing it and comparing with the hash of the expectation. */
  static String bodyHash(String body) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    byte[] m = ascii(body);
    RelaxedCanonicalizer.body(m, 0, m.length, d, new byte[7]);
    return Base64.getEncoder().encodeToString(d.digest());
  }

  static String sha256(String s) throws Exception {
    return Base64.getEncoder()
        .encodeToString(MessageDigest.getInstance("SHA-256").digest(ascii(s)));
  }

  @Test
  void headerExampleOfRfc6376Section3_4_5() {
    assertThat(canonicalHeaders("A: X\r\nB : Y\t\r\n\tZ  ")).isEqualTo("a:X\r\nb:Y Z\r\n");
  }

  @Test
  void bodyExampleOfRfc6376Section3_4_5() throws Exception {
    assertThat(bodyHash(" C \r\nD \t E\r\n\r\n\r\n")).isEqualTo(sha256(" C\r\nD E\r\n"));
  }

  static Stream<Arguments> headerFields() {
    return Stream.of(
        Arguments.of("Subject:   leading whitespace", "subject:leading whitespace"),
        Arguments.of("Subject:no space", "subject:no space"),
        Arguments.of("SUBJECT \t:  x", "subject:x"),
        Arguments.of("To: a,\r\n  b,\r\n\tc", "to:a, b, c"),
        Arguments.of("X:  \t  ", "x:"),
        Arguments.of("Subject: trailing \t  ", "subject:trailing"),
        Arguments.of(
            "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=  \t x", "subject:=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= x"));
  }

  @ParameterizedTest(name = "[{0}] -> [{1}]")
  @MethodSource("headerFields")
  void headerFieldsRfc6376Section3_4_2(String field, String canonical) {
    assertThat(canonicalHeaders(field)).isEqualTo(canonical + "\r\n");
  }

  static Stream<Arguments> bodies() {
    return Stream.of(
        Arguments.of("", ""),
        Arguments.of("\r\n", ""),
        Arguments.of("\r\n\r\n  \r\n\t\r\n", ""),
        Arguments.of("x", "x\r\n"),
        Arguments.of("x\r\n\r\n", "x\r\n"),
        Arguments.of("\r\n\r\nx", "\r\n\r\nx\r\n"),
        Arguments.of("  a  b\t\tc \r\n", " a b c\r\n"),
        Arguments.of("a\r\n \r\nb", "a\r\n\r\nb\r\n"),
        Arguments.of("a \r\n \t \r\n", "a\r\n"));
  }

  @ParameterizedTest(name = "[{0}]")
  @MethodSource("bodies")
  void bodiesRfc6376Section3_4_4(String body, String canonical) throws Exception {
    assertThat(bodyHash(body)).isEqualTo(sha256(canonical));
  }

  @Test
  void longRunsOfEmptyLinesAndLongLinesCrossTheScratchBuffer() throws Exception {
    String body = "a" + "\r\n".repeat(50) + "b".repeat(100) + "   c\r\n" + "\r\n".repeat(20);
    String expected = "a" + "\r\n".repeat(50) + "b".repeat(100) + " c\r\n";
    assertThat(bodyHash(body)).isEqualTo(sha256(expected));
  }

  @Test
  void headerEndsAtTheFirstEmptyLineRfc5322Section2_1() {
    byte[] m = ascii("From: a\r\nTo: b\r\n c\r\n\r\nbody\r\n");
    Header h = RelaxedCanonicalizer.parseHeader(m);
    assertThat(h.fields()).extracting(Field::name).containsExactly("from", "to");
    assertThat(new String(m, h.bodyStart(), m.length - h.bodyStart(), StandardCharsets.US_ASCII))
        .isEqualTo("body\r\n");
  }

  @Test
  void rejectsBareLineFeedsBecauseTransportWouldRewriteThem() throws Exception {
    assertThatThrownBy(() -> RelaxedCanonicalizer.parseHeader(ascii("From: a\nTo: b\r\n\r\n")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bare LF");
    assertThatThrownBy(() -> bodyHash("a\nb\r\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bare LF");
    assertThatThrownBy(() -> bodyHash("a\rb\r\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bare CR");
  }

  @Test
  void rejectsAHeaderLineWithoutAColon() {
    assertThatThrownBy(() -> RelaxedCanonicalizer.parseHeader(ascii("From a\r\n\r\n")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without a colon");
  }
}

package io.postwire.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Any content survives dot-stuffing (RFC 5321 §4.5.2) and the {@link DataReader}, whatever pieces
 * the network cuts it into; the end of data is CRLF.CRLF and nothing else.
 */
class DataReaderProperties {

  /** What a client sends for {@code content}: stuffed, CRLF added if missing, then ".CRLF". */
  static byte[] stuffed(byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean lineStart = true;
    for (int i = 0; i < content.length; i++) {
      byte b = content[i];
      if (lineStart && b == '.') {
        out.write('.');
      }
      out.write(b);
      lineStart = b == '\n' && i > 0 && content[i - 1] == '\r';
    }
    if (!endsWithCrlf(content)) {
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  static boolean endsWithCrlf(byte[] b) {
    return b.length >= 2 && b[b.length - 2] == '\r' && b[b.length - 1] == '\n';
  }

  @Provide
  Arbitrary<byte[]> contents() {
    // bytes weighted towards the ones that matter: CR, LF and dots
    Arbitrary<Byte> special = Arbitraries.of((byte) '\r', (byte) '\n', (byte) '.');
    Arbitrary<Byte> any = Arbitraries.bytes();
    return Arbitraries.frequencyOf(Tuple.of(3, special), Tuple.of(2, any))
        .list()
        .ofMaxSize(300)
        .map(
            list -> {
              byte[] b = new byte[list.size()];
              for (int i = 0; i < b.length; i++) {
                b[i] = list.get(i);
              }
              return b;
            });
  }

  @Property(tries = 2000)
  void contentRoundTrips(
      @ForAll("contents") byte[] content, @ForAll @IntRange(min = 1, max = 17) int piece) {
    byte[] wire = stuffed(content);
    byte[] trailer = "NOOP\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] all = Arrays.copyOf(wire, wire.length + trailer.length);
    System.arraycopy(trailer, 0, all, wire.length, trailer.length);
    DataReader reader = new DataReader(1 << 20, Integer.MAX_VALUE);
    int used = 0;
    while (!reader.done() && used < all.length) {
      used += reader.feed(all, used, Math.min(piece, all.length - used));
    }
    assertThat(reader.done()).isTrue();
    // exactly the data was read: what follows is the next command
    assertThat(used).isEqualTo(wire.length);
    byte[] expected = content;
    if (!endsWithCrlf(content)) {
      expected = Arrays.copyOf(content, content.length + 2);
      expected[content.length] = '\r';
      expected[content.length + 1] = '\n';
    }
    assertThat(reader.content()).isEqualTo(expected);
  }

  @Test
  void bareLineFeedsNeverEndTheData() {
    for (String end : new String[] {"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r\n"}) {
      byte[] b = ("a" + end + "b").getBytes(StandardCharsets.US_ASCII);
      DataReader reader = new DataReader(1000, 1000);
      assertThat(reader.feed(b, 0, b.length)).isEqualTo(b.length);
      assertThat(reader.done()).as(end).isFalse();
    }
  }

  @Test
  void overTheCapIsReadToTheEndAndNotKept() {
    byte[] b = ("x".repeat(50) + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII);
    DataReader reader = new DataReader(10, 1000);
    assertThat(reader.feed(b, 0, b.length)).isEqualTo(b.length);
    assertThat(reader.done()).isTrue();
    assertThat(reader.overflowed()).isTrue();
    assertThat(reader.content()).hasSize(10);
  }

  @Test
  void linesOfAThousandOctetsPassAndLongerOnesAreFlagged() {
    DataReader ok = new DataReader(5000, 1000);
    byte[] fits = ("x".repeat(998) + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII);
    ok.feed(fits, 0, fits.length);
    assertThat(ok.longLine()).isFalse();
    DataReader tooLong = new DataReader(5000, 1000);
    byte[] over = ("x".repeat(999) + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII);
    tooLong.feed(over, 0, over.length);
    assertThat(tooLong.done()).isTrue();
    assertThat(tooLong.longLine()).isTrue();
  }
}

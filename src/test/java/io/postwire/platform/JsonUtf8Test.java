package io.postwire.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The in-place UTF-8 check agrees with the JDK's strict decoder on any bytes (RFC 3629). */
class JsonUtf8Test {

  static boolean jdk(byte[] b) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  @Property(tries = 3000)
  void agreesWithTheJdkDecoderOnArbitraryBytes(@ForAll @Size(max = 12) byte[] bytes) {
    assertThat(Json.isUtf8(bytes)).isEqualTo(jdk(bytes));
  }

  @Property(tries = 1000)
  void acceptsEveryStringEncodedAsUtf8(@ForAll String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    assertThat(Json.isUtf8(bytes)).isEqualTo(jdk(bytes));
  }

  @Property(tries = 2000)
  void agreesWithTheJdkDecoderWithinLongAsciiRuns(
      @ForAll @IntRange(max = 20) int before,
      @ForAll @Size(max = 12) byte[] bytes,
      @ForAll @IntRange(max = 20) int after) {
    byte[] b = new byte[before + bytes.length + after];
    Arrays.fill(b, (byte) 'a');
    System.arraycopy(bytes, 0, b, before, bytes.length);
    assertThat(Json.isUtf8(b)).isEqualTo(jdk(b));
  }

  @Example
  void refusesOverlongFormsSurrogatesAndTruncatedSequences() {
    for (int[] bad :
        new int[][] {
          {0xc0, 0xaf}, {0xe0, 0x80, 0xaf}, {0xed, 0xa0, 0x80}, {0xf4, 0x90, 0x80, 0x80},
          {0xf5, 0x80, 0x80, 0x80}, {0xe2, 0x82}, {0x80}, {0xff}
        }) {
      byte[] b = new byte[bad.length];
      for (int i = 0; i < bad.length; i++) {
        b[i] = (byte) bad[i];
      }
      assertThat(Json.isUtf8(b)).as("%s", Arrays.toString(bad)).isFalse();
    }
    assertThat(Json.isUtf8("Grüße — 日本語 😀".getBytes(StandardCharsets.UTF_8))).isTrue();
  }
}

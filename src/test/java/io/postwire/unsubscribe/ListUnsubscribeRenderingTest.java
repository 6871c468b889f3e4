package io.postwire.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.domain.Mailbox;
import io.postwire.message.MimeRenderer;
import io.postwire.message.ValidatedMessage;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.StringLength;

/**
 * The rendered fields: whatever the base URL and domain lengths, the message keeps lines within RFC
 * 5322's 998 octets, and a mail parser reads back exactly the value and the one-click marker.
 */
class ListUnsubscribeRenderingTest {

  private final MimeRenderer renderer = new MimeRenderer();

  static ValidatedMessage message() {
    return new ValidatedMessage(
        new Mailbox(null, "news", "example.com"),
        List.of(new Mailbox(null, "bob", "example.org")),
        List.of(),
        List.of(),
        null,
        null,
        "News",
        "text",
        null,
        Map.of(),
        List.of(),
        List.of(),
        null,
        null,
        Instant.now().plusSeconds(3600),
        ValidatedMessage.Track.NONE);
  }

  @Property(tries = 200)
  void theFieldsReadBackExactlyAndNoLineIsTooLong(
      @ForAll @AlphaChars @StringLength(min = 1, max = 200) String host,
      @ForAll @AlphaChars @StringLength(min = 1, max = 60) String label,
      @ForAll long high,
      @ForAll long low)
      throws Exception {
    UnsubscribeLinks links =
        UnsubscribeLinksTest.links(
            "https://" + host.toLowerCase() + ".example/base", label.toLowerCase() + ".example");
    String value = links.listUnsubscribe(new UUID(high, low));
    byte[] bytes = renderer.render(message(), new Date(), value).bytes();
    for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\r\n", -1)) {
      assertThat(line.length()).isLessThanOrEqualTo(998);
    }
    MimeMessage parsed =
        new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
    assertThat(MimeUtility.unfold(parsed.getHeader("List-Unsubscribe")[0])).isEqualTo(value);
    assertThat(parsed.getHeader("List-Unsubscribe-Post"))
        .containsExactly("List-Unsubscribe=One-Click");
    assertThat(renderer.render(message(), new Date()).bytes())
        .asString(StandardCharsets.US_ASCII)
        .doesNotContain("List-Unsubscribe");
  }
}

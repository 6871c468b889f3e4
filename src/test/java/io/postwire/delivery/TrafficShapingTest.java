package io.postwire.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.delivery.smtp.HostLimits;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Choosing a destination's limits from the shaping rules. */
class TrafficShapingTest {

  static final HostLimits DEFAULTS = new HostLimits(10, 100, 0, Duration.ofSeconds(60));
  static final HostLimits GMAIL = new HostLimits(5, 50, 0, Duration.ofSeconds(60));
  static final HostLimits OUTLOOK = new HostLimits(3, 20, 120, Duration.ofSeconds(30));

  final TrafficShaping shaping =
      new TrafficShaping(
          DEFAULTS,
          List.of(
              new TrafficShaping.Rule("gmail.com", GMAIL),
              new TrafficShaping.Rule("*.outlook.com", OUTLOOK)));

  @Test
  void anExactPatternMatchesTheRecipientDomainOnly() {
    assertThat(shaping.limits("gmail.com", "gmail-smtp-in.l.google.com")).isEqualTo(GMAIL);
    assertThat(shaping.limits("GMAIL.COM.", "mx")).isEqualTo(GMAIL);
    assertThat(shaping.limits("mail.gmail.com", "mx.example")).isEqualTo(DEFAULTS);
  }

  @Test
  void aWildcardMatchesAnyNameUnderItButNotItself() {
    assertThat(shaping.limits("example.org", "example-org.mail.protection.outlook.com"))
        .isEqualTo(OUTLOOK);
    assertThat(shaping.limits("eu.outlook.com", "mx.example")).isEqualTo(OUTLOOK);
    assertThat(shaping.limits("outlook.com", "mx.example")).isEqualTo(DEFAULTS);
    assertThat(shaping.limits("example.org", "notoutlook.com")).isEqualTo(DEFAULTS);
  }

  @Test
  void theFirstMatchingRuleWins() {
    TrafficShaping overlapping =
        new TrafficShaping(
            DEFAULTS,
            List.of(
                new TrafficShaping.Rule("*.outlook.com", OUTLOOK),
                new TrafficShaping.Rule("gmail.com", GMAIL)));
    assertThat(overlapping.limits("gmail.com", "mx.outlook.com")).isEqualTo(OUTLOOK);
  }
}

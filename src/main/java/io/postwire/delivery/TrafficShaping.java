package io.postwire.delivery;

import io.postwire.delivery.smtp.HostLimits;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Chooses the {@link HostLimits} for a delivery from {@code postwire.delivery.shaping.*}: the first
 * rule whose pattern matches the recipient domain or the MX host name, filled in from the default.
 */
public final class TrafficShaping {

  /** One resolved rule. */
  record Rule(String pattern, HostLimits limits) {}

  private final HostLimits defaults;
  private final List<Rule> rules;

  public TrafficShaping(HostLimits defaults, List<Rule> rules) {
    this.defaults = defaults;
    this.rules = List.copyOf(rules);
  }

  /** The shaping of {@code config}; {@code idleTimeout} is the delivery-wide idle timeout. */
  public static TrafficShaping of(DeliveryConfig.Shaping config, Duration idleTimeout) {
    DeliveryConfig.Limits d = config.defaults();
    HostLimits defaults =
        new HostLimits(
            d.maxConnections(),
            d.maxMessagesPerConnection(),
            d.ratePerMinute().orElse(0),
            d.idleTimeout().orElse(idleTimeout));
    List<Rule> rules =
        config.rules().orElse(List.of()).stream()
            .map(
                r -> {
                  validate(r.pattern());
                  return new Rule(
                      r.pattern().trim().toLowerCase(Locale.ROOT),
                      new HostLimits(
                          r.maxConnections().orElse(defaults.maxConnections()),
                          r.maxMessagesPerConnection().orElse(defaults.maxMessagesPerConnection()),
                          r.ratePerMinute().orElse(defaults.ratePerMinute()),
                          r.idleTimeout().orElse(defaults.idleTimeout())));
                })
            .toList();
    return new TrafficShaping(defaults, rules);
  }

  /** The limits for delivering to {@code domain} through MX host {@code mxHost}. */
  public HostLimits limits(String domain, String mxHost) {
    for (Rule rule : rules) {
      if (matches(rule.pattern(), domain) || matches(rule.pattern(), mxHost)) {
        return rule.limits();
      }
    }
    return defaults;
  }

  static boolean matches(String pattern, String name) {
    if (name == null) {
      return false;
    }
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    if (pattern.startsWith("*.")) {
      return n.endsWith(pattern.substring(1));
    }
    return n.equals(pattern);
  }

  private static void validate(String pattern) {
    String p = pattern == null ? "" : pattern.trim();
    if (p.isEmpty() || p.substring(p.startsWith("*.") ? 2 : 0).contains("*")) {
      throw new IllegalArgumentException(
          "postwire.delivery.shaping.rules[].pattern must be a domain or *.domain, got: "
              + pattern);
    }
  }
}

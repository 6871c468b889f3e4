package io.postwire.dns;

import java.util.Locale;

/**
 * The outcome of an SPF check (RFC 7208 §2.6).
 *
 * @param result the SPF result
 * @param explanation for {@code fail}, the expanded explanation (§6.2); otherwise why the result
 *     came about when there is something to say (for temperror and permerror), else empty
 * @param lookups how many DNS-querying terms were evaluated (§4.6.4)
 */
public record SpfResult(Result result, String explanation, int lookups) {

  /** The seven results of RFC 7208 §2.6, written on the wire in lower case. */
  public enum Result {
    PASS,
    FAIL,
    SOFTFAIL,
    NEUTRAL,
    NONE,
    TEMPERROR,
    PERMERROR;

    /** The RFC's lower-case name, as in {@code Received-SPF} and {@code Authentication-Results}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The result named by its lower-case wire name. */
    public static Result fromWireName(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }

    @Override
    public String toString() {
      return wireName();
    }
  }
}

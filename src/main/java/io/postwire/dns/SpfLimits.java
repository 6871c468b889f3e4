package io.postwire.dns;

/**
 * The processing limits of RFC 7208 §4.6.4, counted for one {@code check_host()} ({@link
 * SpfEvaluator}) or one walk of a published record through include and redirect (the audit): the
 * one place these numbers and what counts against them are written.
 */
public final class SpfLimits {

  /** At most 10 terms that query DNS (include, a, mx, ptr, exists, redirect). */
  public static final int MAX_DNS_TERMS = 10;

  /** At most 2 lookups that return no answer or NXDOMAIN. */
  public static final int MAX_VOID_LOOKUPS = 2;

  /** An mx mechanism with more than 10 MX names is a permerror. */
  public static final int MAX_MX_NAMES = 10;

  /** Only the first 10 PTR names are looked at. */
  public static final int MAX_PTR_NAMES = 10;

  private int terms;
  private int voids;

  /** Whether a mechanism is a DNS-querying term (everything but all, ip4 and ip6). */
  public static boolean queriesDns(SpfRecord.Mechanism mechanism) {
    return switch (mechanism) {
      case ALL, IP4, IP6 -> false;
      default -> true;
    };
  }

  /** Whether a lookup's outcome is a void lookup: NXDOMAIN or no answer. */
  public static boolean isVoid(LookupOutcome outcome) {
    return outcome instanceof LookupOutcome.NxDomain || outcome instanceof LookupOutcome.NoData;
  }

  /** Counts one DNS-querying term; false once there are more than {@value #MAX_DNS_TERMS}. */
  public boolean countTerm() {
    return ++terms <= MAX_DNS_TERMS;
  }

  /** Counts one void lookup; false once there are more than {@value #MAX_VOID_LOOKUPS}. */
  public boolean countVoid() {
    return ++voids <= MAX_VOID_LOOKUPS;
  }

  /** DNS-querying terms counted so far. */
  public int terms() {
    return terms;
  }

  /** Void lookups counted so far. */
  public int voids() {
    return voids;
  }

  /** Whether more DNS-querying terms were counted than §4.6.4 allows. */
  public boolean tooManyTerms() {
    return terms > MAX_DNS_TERMS;
  }

  /** Whether more void lookups were counted than §4.6.4 allows. */
  public boolean tooManyVoids() {
    return voids > MAX_VOID_LOOKUPS;
  }

  /** Why evaluation stopped when {@link #countTerm()} said false. */
  static String termsExceeded() {
    return "more than " + MAX_DNS_TERMS + " DNS-querying terms";
  }

  /** Why evaluation stopped when {@link #countVoid()} said false. */
  static String voidsExceeded() {
    return "more than " + MAX_VOID_LOOKUPS + " void lookups";
  }
}

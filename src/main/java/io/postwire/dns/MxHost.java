package io.postwire.dns;

/**
 * One mail exchanger of a domain.
 *
 * @param preference the MX preference, lower is tried first (RFC 5321 §5.1)
 * @param host the exchanger's host name, absolute and without the trailing dot
 */
public record MxHost(int preference, String host) {}

package io.postwire.dns;

/** A DNS answer could not be had now (SERVFAIL, timeout, unreachable server): try again later. */
public class DnsTemporaryException extends RuntimeException {

  public DnsTemporaryException(String message, Throwable cause) {
    super(message, cause);
  }

  public DnsTemporaryException(String message) {
    super(message);
  }
}

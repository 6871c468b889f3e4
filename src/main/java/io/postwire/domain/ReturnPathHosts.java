package io.postwire.domain;

import java.util.List;

/**
 * Where bounces to a return-path domain must go: the MX host names that reach the inbound listener
 * (implemented in {@code inbound}, asked by the domain documents and the audit's {@code
 * return_path_mx} check).
 */
public interface ReturnPathHosts {

  /** The MX host names of the inbound listener, lower case; empty when inbound mail is off. */
  List<String> mxHosts();

  /** The default return-path domain ({@code postwire.inbound.domain}), or null. */
  String defaultDomain();
}

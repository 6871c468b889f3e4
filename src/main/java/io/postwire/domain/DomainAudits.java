package io.postwire.domain;

import io.smallrye.mutiny.Uni;
import java.util.List;

/**
 * What the domain documents need from the DNS audit: starting one, its latest result, and the
 * egress addresses the SPF record should name. Implemented by the audit package, so domain depends
 * on no package above it.
 */
public interface DomainAudits {

  /** Starts an audit of the domain without waiting for it. */
  void auditInBackground(String domain);

  /** The latest audit of the domain as shown in its document, or null when none has run. */
  Uni<Object> latest(String domain);

  /** The addresses mail leaves from ({@code postwire.audit.egress-ips}); empty when unset. */
  List<String> egressIps();
}

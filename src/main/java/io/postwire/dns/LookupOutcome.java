package io.postwire.dns;

import java.util.List;
import org.xbill.DNS.Record;

/**
 * The outcome of one DNS query, with the cases that SPF (RFC 7208 §4.4, §4.6.4) tells apart:
 * records, no such domain, no records of the type, and a temporary failure.
 */
public sealed interface LookupOutcome {

  /** The records of the asked type (CNAMEs already followed); never empty. */
  record Records(List<Record> records) implements LookupOutcome {
    public Records {
      records = List.copyOf(records);
    }
  }

  /** NXDOMAIN: the name does not exist. */
  record NxDomain() implements LookupOutcome {}

  /** NOERROR with no answer: the name exists without records of this type. */
  record NoData() implements LookupOutcome {}

  /** SERVFAIL, timeout or another failure that may pass. */
  record TempError(String reason) implements LookupOutcome {}

  /** The records, or an empty list for NXDOMAIN and NODATA; temporary failures throw. */
  default List<Record> recordsOrEmpty() {
    if (this instanceof Records found) {
      return found.records();
    }
    if (this instanceof TempError failure) {
      throw new DnsTemporaryException(failure.reason());
    }
    return List.of();
  }
}

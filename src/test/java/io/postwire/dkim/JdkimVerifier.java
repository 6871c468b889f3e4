package io.postwire.dkim;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Map;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.james.jdkim.exceptions.PermFailException;

/**
 * Apache jDKIM, an implementation that is not ours, verifying against key records handed to it
 * (never its DNS retriever: nothing here may resolve names).
 */
public final class JdkimVerifier {

  private final Map<String, String> records;

  /**
   * @param records TXT record text by {@code selector._domainkey.domain}
   */
  public JdkimVerifier(Map<String, String> records) {
    this.records = records;
  }

  /** The signatures jDKIM accepts; it throws {@link FailException} when none verifies. */
  public List<SignatureRecord> verify(byte[] message) throws Exception {
    PublicKeyRecordRetriever retriever =
        (method, selector, token) -> {
          String name = selector + "._domainkey." + token;
          String record = records.get(name);
          if (record == null) {
            throw new PermFailException("no key record for " + name);
          }
          return List.of(record);
        };
    DKIMVerifier verifier = new DKIMVerifier(retriever);
    List<SignatureRecord> ok = verifier.verify(new ByteArrayInputStream(message));
    lastResults = verifier.getResults().toString();
    return ok;
  }

  /** What jDKIM said about each signature in the last verification, for failure messages. */
  public String lastResults = "";

  /** True when jDKIM accepts at least one signature, false when it rejects them. */
  public boolean accepts(byte[] message) throws Exception {
    try {
      List<SignatureRecord> ok = verify(message);
      return ok != null && !ok.isEmpty();
    } catch (FailException e) {
      return false;
    }
  }
}

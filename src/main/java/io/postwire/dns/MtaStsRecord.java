package io.postwire.dns;

import java.util.Map;

/**
 * The MTA-STS TXT record at {@code _mta-sts.domain} (RFC 8461 §3.1): it says a policy exists and
 * names its version.
 *
 * @param id the policy id, 1-32 letters and digits; a new id tells senders to fetch the policy
 *     again
 */
public record MtaStsRecord(String id) {

  /** Parses the record text; extension fields are allowed and ignored. */
  public static MtaStsRecord parse(String text) {
    if (!text.startsWith("v=STSv1")) {
      throw new RecordSyntaxException(1, "an MTA-STS record must start with v=STSv1");
    }
    Map<String, TagList.Value> fields = TagList.parse(text);
    TagList.Value version = fields.get("v");
    if (!version.text().equals("STSv1")) {
      throw new RecordSyntaxException(version.position(), "version must be STSv1");
    }
    TagList.Value id = fields.get("id");
    if (id == null) {
      throw new RecordSyntaxException(text.length() + 1, "required field id= is missing");
    }
    if (!id.text().matches("[A-Za-z0-9]{1,32}")) {
      throw new RecordSyntaxException(
          id.position(), "id must be 1-32 letters and digits, got '" + id.text() + "'");
    }
    return new MtaStsRecord(id.text());
  }
}

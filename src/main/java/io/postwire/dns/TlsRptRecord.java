package io.postwire.dns;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The SMTP TLS Reporting record at {@code _smtp._tls.domain} (RFC 8460 §3).
 *
 * @param reportUris where reports go: {@code mailto:} and {@code https:} URIs, at least one
 */
public record TlsRptRecord(List<URI> reportUris) {

  public TlsRptRecord {
    reportUris = List.copyOf(reportUris);
  }

  /** Parses the record text; extension fields are ignored. */
  public static TlsRptRecord parse(String text) {
    if (!text.startsWith("v=TLSRPTv1")) {
      throw new RecordSyntaxException(1, "a TLS-RPT record must start with v=TLSRPTv1");
    }
    Map<String, TagList.Value> fields = TagList.parse(text);
    if (!fields.get("v").text().equals("TLSRPTv1")) {
      throw new RecordSyntaxException(3, "version must be TLSRPTv1");
    }
    TagList.Value rua = fields.get("rua");
    if (rua == null) {
      throw new RecordSyntaxException(text.length() + 1, "required field rua= is missing");
    }
    List<URI> uris = new ArrayList<>();
    int offset = 0;
    for (String entry : rua.text().split(",", -1)) {
      String trimmed = entry.strip();
      int position = rua.position() + offset;
      offset += entry.length() + 1;
      URI uri;
      try {
        uri = new URI(trimmed);
      } catch (URISyntaxException e) {
        throw new RecordSyntaxException(position, "not a URI: '" + trimmed + "'");
      }
      String scheme = uri.getScheme();
      if (scheme == null
          || !(scheme.equalsIgnoreCase("mailto") || scheme.equalsIgnoreCase("https"))) {
        throw new RecordSyntaxException(
            position, "rua URIs must be mailto: or https:, got '" + trimmed + "'");
      }
      if (uri.getSchemeSpecificPart() == null || uri.getSchemeSpecificPart().isBlank()) {
        throw new RecordSyntaxException(position, "empty " + scheme + " URI");
      }
      uris.add(uri);
    }
    return new TlsRptRecord(uris);
  }
}

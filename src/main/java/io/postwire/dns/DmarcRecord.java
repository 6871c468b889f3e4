package io.postwire.dns;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A DMARC policy record, the TXT record at {@code _dmarc.domain} (RFC 7489 §6.3). Tags with invalid
 * values are left at their defaults and listed in {@link #problems()}, as §6.3 says receivers
 * should keep going; a record not starting with {@code v=DMARC1} is not a DMARC record at all.
 *
 * @param policy {@code p=}: none, quarantine or reject (empty when missing or invalid)
 * @param subdomainPolicy {@code sp=}, defaulting to {@code p=}
 * @param dkimAlignment {@code adkim=}: r (relaxed, default) or s (strict)
 * @param spfAlignment {@code aspf=}: r (relaxed, default) or s (strict)
 * @param percent {@code pct=}: 0-100, default 100
 * @param aggregateReports {@code rua=} URIs
 * @param failureReports {@code ruf=} URIs
 * @param failureOptions {@code fo=}: 0, 1, d, s (default 0)
 * @param reportFormats {@code rf=}: default afrf
 * @param reportInterval {@code ri=} seconds, default 86400
 * @param problems one line per invalid or missing tag
 */
public record DmarcRecord(
    String policy,
    String subdomainPolicy,
    String dkimAlignment,
    String spfAlignment,
    int percent,
    List<URI> aggregateReports,
    List<URI> failureReports,
    List<String> failureOptions,
    List<String> reportFormats,
    long reportInterval,
    List<String> problems) {

  private static final List<String> POLICIES = List.of("none", "quarantine", "reject");

  public DmarcRecord {
    aggregateReports = List.copyOf(aggregateReports);
    failureReports = List.copyOf(failureReports);
    failureOptions = List.copyOf(failureOptions);
    reportFormats = List.copyOf(reportFormats);
    problems = List.copyOf(problems);
  }

  /** Whether the record is usable as published: it has a valid policy and no invalid tags. */
  public boolean valid() {
    return problems.isEmpty();
  }

  /**
   * Parses the record text.
   *
   * @throws RecordSyntaxException when the text is not a tag list or does not start with {@code
   *     v=DMARC1}
   */
  public static DmarcRecord parse(String text) {
    Map<String, TagList.Value> tags = TagList.parse(text);
    TagList.Value version = tags.get("v");
    if (version == null || !tags.keySet().iterator().next().equals("v")) {
      throw new RecordSyntaxException(1, "a DMARC record must start with v=DMARC1");
    }
    if (!version.text().equals("DMARC1")) {
      throw new RecordSyntaxException(
          version.position(), "unsupported version '" + version.text() + "', expected DMARC1");
    }
    List<String> problems = new ArrayList<>();
    String policy = "";
    TagList.Value p = tags.get("p");
    if (p == null) {
      problems.add("required tag p= is missing");
    } else if (POLICIES.contains(p.text().toLowerCase(Locale.ROOT))) {
      policy = p.text().toLowerCase(Locale.ROOT);
    } else {
      problems.add("p=" + p.text() + ": must be none, quarantine or reject");
    }
    String subdomainPolicy = policy;
    TagList.Value sp = tags.get("sp");
    if (sp != null) {
      if (POLICIES.contains(sp.text().toLowerCase(Locale.ROOT))) {
        subdomainPolicy = sp.text().toLowerCase(Locale.ROOT);
      } else {
        problems.add("sp=" + sp.text() + ": must be none, quarantine or reject");
      }
    }
    String adkim = alignment(tags, "adkim", problems);
    String aspf = alignment(tags, "aspf", problems);
    int percent = 100;
    TagList.Value pct = tags.get("pct");
    if (pct != null) {
      if (pct.text().matches("\\d{1,3}") && Integer.parseInt(pct.text()) <= 100) {
        percent = Integer.parseInt(pct.text());
      } else {
        problems.add("pct=" + pct.text() + ": must be an integer 0-100");
      }
    }
    List<URI> rua = uris(tags, "rua", problems);
    List<URI> ruf = uris(tags, "ruf", problems);
    List<String> fo = List.of("0");
    TagList.Value foValue = tags.get("fo");
    if (foValue != null) {
      List<String> options = split(foValue.text(), ":");
      if (!options.isEmpty() && options.stream().allMatch(o -> o.matches("[01ds]"))) {
        fo = options;
      } else {
        problems.add("fo=" + foValue.text() + ": options are 0, 1, d, s separated by ':'");
      }
    }
    List<String> rf = List.of("afrf");
    TagList.Value rfValue = tags.get("rf");
    if (rfValue != null) {
      List<String> formats = split(rfValue.text().toLowerCase(Locale.ROOT), ":");
      if (!formats.isEmpty() && formats.stream().allMatch(f -> f.equals("afrf"))) {
        rf = formats;
      } else {
        problems.add("rf=" + rfValue.text() + ": the only registered format is afrf");
      }
    }
    long interval = 86400;
    TagList.Value ri = tags.get("ri");
    if (ri != null) {
      if (ri.text().matches("\\d{1,10}") && Long.parseLong(ri.text()) <= 0xFFFFFFFFL) {
        interval = Long.parseLong(ri.text());
      } else {
        problems.add("ri=" + ri.text() + ": must be a 32-bit unsigned integer");
      }
    }
    return new DmarcRecord(
        policy, subdomainPolicy, adkim, aspf, percent, rua, ruf, fo, rf, interval, problems);
  }

  private static String alignment(
      Map<String, TagList.Value> tags, String name, List<String> problems) {
    TagList.Value value = tags.get(name);
    if (value == null) {
      return "r";
    }
    String mode = value.text().toLowerCase(Locale.ROOT);
    if (mode.equals("r") || mode.equals("s")) {
      return mode;
    }
    problems.add(name + "=" + value.text() + ": must be r or s");
    return "r";
  }

  /** §6.3: a comma-separated list of URIs, each optionally followed by {@code !size[kmgt]}. */
  private static List<URI> uris(
      Map<String, TagList.Value> tags, String name, List<String> problems) {
    TagList.Value value = tags.get(name);
    if (value == null) {
      return List.of();
    }
    List<URI> uris = new ArrayList<>();
    for (String entry : split(value.text(), ",")) {
      String uri = entry.replaceFirst("!\\d+[kmgtKMGT]?$", "");
      try {
        URI parsed = new URI(uri);
        if (parsed.getScheme() == null) {
          throw new URISyntaxException(uri, "no scheme");
        }
        uris.add(parsed);
      } catch (URISyntaxException e) {
        problems.add(name + "=" + entry + ": not a URI");
      }
    }
    if (uris.isEmpty()) {
      problems.add(name + "=" + value.text() + ": no valid URI");
    }
    return uris;
  }

  private static List<String> split(String text, String separator) {
    return Arrays.stream(text.split(separator))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .toList();
  }
}

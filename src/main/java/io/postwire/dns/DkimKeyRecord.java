package io.postwire.dns;

import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A DKIM public key record, the TXT record at {@code selector._domainkey.domain} (RFC 6376 §3.6.1).
 *
 * @param hashAlgorithms the {@code h=} list; empty means all are allowed
 * @param keyType the {@code k=} key type, {@code rsa} by default
 * @param notes the {@code n=} notes, empty when absent
 * @param publicKey the decoded {@code p=} key; empty when the key is revoked
 * @param serviceTypes the {@code s=} list, {@code *} by default
 * @param flags the {@code t=} flags ({@code y} testing, {@code s} strict subdomains)
 */
public record DkimKeyRecord(
    List<String> hashAlgorithms,
    String keyType,
    String notes,
    byte[] publicKey,
    List<String> serviceTypes,
    List<String> flags) {

  public DkimKeyRecord {
    hashAlgorithms = List.copyOf(hashAlgorithms);
    serviceTypes = List.copyOf(serviceTypes);
    flags = List.copyOf(flags);
    publicKey = publicKey.clone();
  }

  /** Parses the record text; fails with the position of the first problem. */
  public static DkimKeyRecord parse(String text) {
    Map<String, TagList.Value> tags = TagList.parse(text);
    TagList.Value version = tags.get("v");
    if (version != null) {
      // §3.6.1: v= is optional, but when present it must be first and exactly DKIM1.
      if (!tags.keySet().iterator().next().equals("v")) {
        throw new RecordSyntaxException(version.position(), "v= must be the first tag");
      }
      if (!version.text().equals("DKIM1")) {
        throw new RecordSyntaxException(
            version.position(), "unsupported version '" + version.text() + "', expected DKIM1");
      }
    }
    TagList.Value key = tags.get("p");
    if (key == null) {
      throw new RecordSyntaxException(text.length() + 1, "required tag p= is missing");
    }
    byte[] decoded;
    String base64 = key.text().replaceAll("[ \\t\\r\\n]", "");
    try {
      decoded = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new RecordSyntaxException(key.position(), "p= is not valid base64: " + e.getMessage());
    }
    String keyType = value(tags, "k", "rsa");
    if (!keyType.matches("[A-Za-z][A-Za-z0-9]*")) {
      throw new RecordSyntaxException(
          tags.get("k").position(), "invalid key type '" + keyType + "'");
    }
    return new DkimKeyRecord(
        list(tags, "h", ""),
        keyType,
        value(tags, "n", ""),
        decoded,
        list(tags, "s", "*"),
        list(tags, "t", ""));
  }

  /** An empty {@code p=}: the key was revoked (RFC 6376 §3.6.1). */
  public boolean revoked() {
    return publicKey.length == 0;
  }

  /** The {@code t=y} flag: the domain is testing DKIM (RFC 6376 §3.6.1). */
  public boolean testing() {
    return flags.contains("y");
  }

  /** The {@code t=s} flag: the i= domain must equal d=, no subdomains (RFC 6376 §3.6.1). */
  public boolean strictSubdomains() {
    return flags.contains("s");
  }

  /** Whether the key may verify signatures made with this hash ({@code sha256}, {@code sha1}). */
  public boolean allowsHash(String hash) {
    return hashAlgorithms.isEmpty() || hashAlgorithms.contains(hash);
  }

  /** Whether the key may be used for email ({@code s=*} or {@code s=email}). */
  public boolean allowsEmail() {
    return serviceTypes.contains("*") || serviceTypes.contains("email");
  }

  private static String value(Map<String, TagList.Value> tags, String name, String fallback) {
    TagList.Value value = tags.get(name);
    return value == null ? fallback : value.text();
  }

  private static List<String> list(Map<String, TagList.Value> tags, String name, String fallback) {
    String text = value(tags, name, fallback);
    if (text.isBlank()) {
      return List.of();
    }
    return Arrays.stream(text.split(":")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof DkimKeyRecord that
        && hashAlgorithms.equals(that.hashAlgorithms)
        && keyType.equals(that.keyType)
        && notes.equals(that.notes)
        && Arrays.equals(publicKey, that.publicKey)
        && serviceTypes.equals(that.serviceTypes)
        && flags.equals(that.flags);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        hashAlgorithms, keyType, notes, Arrays.hashCode(publicKey), serviceTypes, flags);
  }

  @Override
  public String toString() {
    return "DkimKeyRecord[k="
        + keyType
        + ", h="
        + hashAlgorithms
        + ", s="
        + serviceTypes
        + ", t="
        + flags
        + ", key bytes="
        + publicKey.length
        + "]";
  }
}

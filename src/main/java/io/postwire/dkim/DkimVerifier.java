package io.postwire.dkim;

import io.postwire.dkim.RelaxedCanonicalizer.ByteSink;
import io.postwire.dkim.RelaxedCanonicalizer.Field;
import io.postwire.dkim.RelaxedCanonicalizer.Header;
import io.postwire.dns.DkimKeyRecord;
import io.postwire.dns.DnsTemporaryException;
import io.smallrye.mutiny.Uni;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Verifies every DKIM-Signature of a message as a receiving server would (RFC 6376 §6, RFC 8463,
 * RFC 8301): rsa-sha256 and ed25519-sha256, simple and relaxed canonicalization, the key from DNS.
 * Each signature gets its own verdict with the result names of RFC 8601 §2.7.1.
 *
 * <p>Bounded against hostile mail: at most {@link #MAX_SIGNATURES} signatures are evaluated (one
 * {@code neutral} verdict, with no key looked up, stands for all the rest), RSA keys over {@link
 * #MAX_RSA_BITS} bits or with a public exponent over 32 bits are refused, every header field is
 * hashed at most once per signature. An {@code l=} body length is not honoured: the whole body is
 * hashed, so a signature with {@code l=} passes only when nothing was appended after the signed
 * part (RFC 6376 §8.2 shows why appended content must not pass).
 */
public final class DkimVerifier {

  /** Signatures evaluated per message; the others are reported {@code neutral}. */
  public static final int MAX_SIGNATURES = 5;

  /** The largest RSA modulus accepted (RFC 8301 §3.2 asks verifiers for 1024 to 4096 bits). */
  static final int MAX_RSA_BITS = 8192;

  /** The verdict names of RFC 8601 §2.7.1. */
  public enum Result {
    PASS,
    FAIL,
    NEUTRAL,
    TEMPERROR,
    PERMERROR;

    /** The lower-case name, as in Authentication-Results. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One signature's verdict.
   *
   * @param domain the signing domain ({@code d=}), lower case; empty when the tag is missing
   * @param selector the selector ({@code s=}); empty when missing
   * @param algorithm the {@code a=} value as written; empty when missing
   * @param result the verdict
   * @param reason why, for anything but a pass (empty for a pass)
   */
  public record Verdict(
      String domain, String selector, String algorithm, Result result, String reason) {}

  private final Function<String, Uni<List<String>>> txt;
  private final Executor cpu;

  /**
   * @param txt the TXT records of a name (the service's {@code Dns::txt}); fails with {@link
   *     DnsTemporaryException} when the lookup may succeed later
   * @param cpu where hashing and signature checks run (a worker pool: never the event loop)
   */
  public DkimVerifier(Function<String, Uni<List<String>>> txt, Executor cpu) {
    this.txt = txt;
    this.cpu = cpu;
  }

  /** The verdict on every DKIM-Signature field of {@code message}, top to bottom. */
  public Uni<List<Verdict>> verify(byte[] message, Instant now) {
    return Uni.createFrom()
        .item(() -> parse(message))
        .runSubscriptionOn(cpu)
        .chain(
            parsed -> {
              if (parsed.signatures.isEmpty()) {
                return Uni.createFrom().item(List.<Verdict>of());
              }
              List<Uni<Candidate>> withKeys = new ArrayList<>();
              for (Candidate c : parsed.signatures) {
                withKeys.add(c.needsKey() ? lookUpKey(c) : Uni.createFrom().item(c));
              }
              return Uni.join()
                  .all(withKeys)
                  .andFailFast()
                  .emitOn(cpu)
                  .map(
                      done -> {
                        List<Verdict> verdicts = new ArrayList<>(done.size());
                        for (Candidate c : done) {
                          verdicts.add(c.needsKey() ? check(message, parsed, c, now) : c.verdict());
                        }
                        return verdicts;
                      });
            });
  }

  /** The message's header and its signatures, each parsed or already judged. */
  private record Parsed(Header header, List<Candidate> signatures) {}

  /** A signature on its way: its field and tags, then its key, or a verdict already reached. */
  private static final class Candidate {
    final Field field;
    Map<String, String> tags = Map.of();
    String domain = "";
    String selector = "";
    String algorithm = "";
    Result early;
    String earlyReason = "";
    PublicKey key;

    Candidate(Field field) {
      this.field = field;
    }

    boolean needsKey() {
      return early == null;
    }

    Verdict verdict() {
      return new Verdict(domain, selector, algorithm, early, earlyReason);
    }

    Candidate judge(Result result, String reason) {
      early = result;
      earlyReason = reason;
      return this;
    }
  }

  private static Parsed parse(byte[] message) {
    Header header;
    try {
      header = RelaxedCanonicalizer.parseHeader(message);
    } catch (IllegalArgumentException e) {
      // No field can be located reliably, so no signature can be verified (§6.1: PERMFAIL).
      List<Candidate> none = new ArrayList<>();
      Candidate c =
          new Candidate(null).judge(Result.PERMERROR, "malformed header: " + e.getMessage());
      none.add(c);
      return new Parsed(null, countedSignatures(message) > 0 ? none : List.of());
    }
    List<Candidate> signatures = new ArrayList<>();
    int seen = 0;
    for (Field f : header.fields()) {
      if (!f.name().equals("dkim-signature")) {
        continue;
      }
      seen++;
      if (seen <= MAX_SIGNATURES) {
        Candidate c = new Candidate(f);
        readTags(message, c);
        signatures.add(c);
      } else if (seen == MAX_SIGNATURES + 1) {
        // One verdict stands for all the rest, so the report stays small however many there are.
        Candidate c = new Candidate(f);
        readIdentity(message, c);
        signatures.add(c);
      }
    }
    if (seen > MAX_SIGNATURES) {
      signatures
          .get(MAX_SIGNATURES)
          .judge(
              Result.NEUTRAL,
              "not evaluated: "
                  + (seen - MAX_SIGNATURES)
                  + " signature(s) after the first "
                  + MAX_SIGNATURES);
    }
    return new Parsed(header, signatures);
  }

  /** Crude count, for a header that cannot be parsed: does it mention a signature at all. */
  private static int countedSignatures(byte[] message) {
    String text =
        new String(message, 0, Math.min(message.length, 65536), StandardCharsets.ISO_8859_1);
    return text.toLowerCase(Locale.ROOT).contains("dkim-signature:") ? 1 : 0;
  }

  /** d=, s= and a= for the report, from a signature that will not be evaluated. */
  private static void readIdentity(byte[] message, Candidate c) {
    try {
      Map<String, String> tags = tags(value(message, c.field));
      c.domain = tags.getOrDefault("d", "").toLowerCase(Locale.ROOT);
      c.selector = tags.getOrDefault("s", "");
      c.algorithm = tags.getOrDefault("a", "");
    } catch (IllegalArgumentException e) {
      // the report shows empty names
    }
  }

  /** Parses and checks the tags (§3.5, §6.1.1); judges the signature when they are unusable. */
  private static void readTags(byte[] message, Candidate c) {
    Map<String, String> tags;
    try {
      tags = tags(value(message, c.field));
    } catch (IllegalArgumentException e) {
      c.judge(Result.PERMERROR, e.getMessage());
      return;
    }
    c.tags = tags;
    c.domain = tags.getOrDefault("d", "").toLowerCase(Locale.ROOT);
    c.selector = tags.getOrDefault("s", "");
    c.algorithm = tags.getOrDefault("a", "");
    for (String required : List.of("v", "a", "b", "bh", "d", "h", "s")) {
      if (!tags.containsKey(required)) {
        c.judge(Result.PERMERROR, "required tag " + required + "= is missing");
        return;
      }
    }
    if (!tags.get("v").equals("1")) {
      c.judge(Result.PERMERROR, "unsupported version v=" + tags.get("v"));
      return;
    }
    String a = c.algorithm.toLowerCase(Locale.ROOT);
    if (a.equals("rsa-sha1")) {
      c.judge(Result.PERMERROR, "rsa-sha1 is not accepted (RFC 8301 §3.1)");
      return;
    }
    if (!a.equals("rsa-sha256") && !a.equals("ed25519-sha256")) {
      c.judge(Result.PERMERROR, "unsupported algorithm a=" + c.algorithm);
      return;
    }
    String canon = tags.getOrDefault("c", "simple/simple").toLowerCase(Locale.ROOT);
    if (!canon.matches("(simple|relaxed)(/(simple|relaxed))?")) {
      c.judge(Result.PERMERROR, "unsupported canonicalization c=" + canon);
      return;
    }
    if (!c.domain.matches("[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9])?") || c.domain.contains("..")) {
      c.judge(Result.PERMERROR, "d= is not a domain name");
      return;
    }
    if (!c.selector.matches("[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9])?")
        || c.selector.contains("..")) {
      c.judge(Result.PERMERROR, "s= is not a selector");
      return;
    }
    List<String> signed;
    try {
      signed = DkimSigner.parseHeaderList(tags.get("h"));
    } catch (IllegalArgumentException e) {
      c.judge(Result.PERMERROR, e.getMessage());
      return;
    }
    if (!signed.contains("from")) {
      c.judge(Result.PERMERROR, "h= does not include from (RFC 6376 §5.4)");
      return;
    }
    String q = tags.get("q");
    if (q != null && !q.toLowerCase(Locale.ROOT).startsWith("dns/txt")) {
      c.judge(Result.PERMERROR, "unsupported query method q=" + q);
      return;
    }
    String i = tags.get("i");
    if (i != null) {
      String iDomain = i.substring(i.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
      if (!i.contains("@") || !(iDomain.equals(c.domain) || iDomain.endsWith("." + c.domain))) {
        c.judge(Result.PERMERROR, "i= is not d= or a subdomain of it (RFC 6376 §6.1.1)");
        return;
      }
    }
    try {
      Base64.getDecoder().decode(tags.get("b"));
      Base64.getDecoder().decode(tags.get("bh"));
    } catch (IllegalArgumentException e) {
      c.judge(Result.PERMERROR, "b= or bh= is not base64");
      return;
    }
    for (String t : List.of("t", "x", "l")) {
      String v = tags.get(t);
      if (v != null && !v.matches("\\d{1,12}")) {
        c.judge(Result.PERMERROR, t + "= is not a number");
        return;
      }
    }
  }

  private Uni<Candidate> lookUpKey(Candidate c) {
    String name = c.selector + "._domainkey." + c.domain;
    Uni<List<String>> records;
    try {
      records = txt.apply(name);
    } catch (RuntimeException e) {
      return Uni.createFrom().item(c.judge(Result.TEMPERROR, "key lookup failed: " + e));
    }
    return records
        .map(found -> withKey(c, name, found))
        .onFailure()
        .recoverWithItem(
            failure ->
                failure instanceof DnsTemporaryException
                    ? c.judge(
                        Result.TEMPERROR, "key lookup for " + name + ": " + failure.getMessage())
                    : c.judge(Result.TEMPERROR, "key lookup for " + name + " failed: " + failure));
  }

  /** Picks the first usable key record (§6.1.2) and checks it fits the signature (§3.6.1). */
  private static Candidate withKey(Candidate c, String name, List<String> records) {
    if (records.isEmpty()) {
      return c.judge(Result.PERMERROR, "no key record at " + name);
    }
    DkimKeyRecord record = null;
    String problem = "";
    for (String text : records) {
      try {
        record = DkimKeyRecord.parse(text);
        break;
      } catch (IllegalArgumentException e) {
        problem = e.getMessage();
      }
    }
    if (record == null) {
      return c.judge(Result.PERMERROR, "key record at " + name + " is invalid: " + problem);
    }
    if (record.revoked()) {
      return c.judge(Result.PERMERROR, "key at " + name + " is revoked (empty p=)");
    }
    if (!record.allowsEmail()) {
      return c.judge(Result.PERMERROR, "key at " + name + " is not for email (s=)");
    }
    if (!record.allowsHash("sha256")) {
      return c.judge(Result.PERMERROR, "key at " + name + " does not allow sha256 (h=)");
    }
    DkimAlgorithm algorithm = DkimAlgorithm.fromWireName(c.algorithm.toLowerCase(Locale.ROOT));
    if (!record.keyType().equalsIgnoreCase(algorithm.keyType())) {
      return c.judge(
          Result.PERMERROR,
          "key at " + name + " is k=" + record.keyType() + ", the signature " + c.algorithm);
    }
    String i = c.tags.get("i");
    if (record.strictSubdomains()
        && i != null
        && !i.substring(i.lastIndexOf('@') + 1).equalsIgnoreCase(c.domain)) {
      return c.judge(Result.PERMERROR, "key at " + name + " has t=s and i= is a subdomain");
    }
    PublicKey key;
    try {
      key =
          DkimKeys.decodePublic(algorithm, Base64.getEncoder().encodeToString(record.publicKey()));
    } catch (IllegalArgumentException e) {
      return c.judge(
          Result.PERMERROR, "key at " + name + " is not a usable " + algorithm.keyType() + " key");
    }
    if (key instanceof RSAPublicKey rsa) {
      int bits = rsa.getModulus().bitLength();
      if (bits < 1024) {
        return c.judge(
            Result.PERMERROR, "RSA key of " + bits + " bits (RFC 8301 §3.2: at least 1024)");
      }
      if (bits > MAX_RSA_BITS || rsa.getPublicExponent().bitLength() > 32) {
        return c.judge(Result.PERMERROR, "RSA key too large to verify (" + bits + " bits)");
      }
    }
    c.key = key;
    return c;
  }

  /** Hashes and checks one signature whose key is known (§6.1.3). */
  private static Verdict check(byte[] m, Parsed parsed, Candidate c, Instant now) {
    Map<String, String> tags = c.tags;
    String expiry = tags.get("x");
    if (expiry != null && Long.parseLong(expiry) < now.getEpochSecond()) {
      return verdict(c, Result.PERMERROR, "signature expired (x=" + expiry + ")");
    }
    String[] canon = tags.getOrDefault("c", "simple/simple").toLowerCase(Locale.ROOT).split("/");
    boolean relaxedHeader = canon[0].equals("relaxed");
    boolean relaxedBody = canon.length > 1 && canon[1].equals("relaxed");
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }

    // Body hash (§3.7). l= is not honoured (see the class comment).
    try {
      int bodyStart = parsed.header().bodyStart();
      if (relaxedBody) {
        RelaxedCanonicalizer.body(m, bodyStart, m.length, sha256, new byte[8192]);
      } else {
        SimpleCanonicalizer.body(m, bodyStart, m.length, sha256);
      }
    } catch (IllegalArgumentException e) {
      return verdict(c, Result.PERMERROR, "body cannot be canonicalized: " + e.getMessage());
    }
    byte[] bodyHash = sha256.digest();
    if (!MessageDigest.isEqual(bodyHash, Base64.getDecoder().decode(tags.get("bh")))) {
      return verdict(c, Result.FAIL, "body hash did not verify");
    }

    // Header hash input (§3.7, §5.4.2): each signed name's fields bottom-up, then this signature
    // with b= emptied and no CRLF.
    List<Field> fields = parsed.header().fields();
    Map<String, List<Field>> bottomUp = new HashMap<>();
    for (int k = fields.size() - 1; k >= 0; k--) {
      bottomUp.computeIfAbsent(fields.get(k).name(), n -> new ArrayList<>()).add(fields.get(k));
    }
    ByteSink data = new ByteSink(1024);
    Map<String, Integer> used = new HashMap<>();
    for (String name : DkimSigner.parseHeaderList(tags.get("h"))) {
      int skip = used.merge(name, 1, Integer::sum) - 1;
      List<Field> named = bottomUp.get(name);
      if (named == null || skip >= named.size()) {
        continue; // a name signed more often than present contributes nothing (§5.4.2)
      }
      Field f = named.get(skip);
      if (relaxedHeader) {
        RelaxedCanonicalizer.header(m, f.start(), f.colon(), f.end(), data);
      } else {
        SimpleCanonicalizer.header(m, f.start(), f.end(), data);
      }
      data.crlf();
    }
    byte[] own = withoutSignatureValue(m, c.field);
    int colon = c.field.colon() - c.field.start();
    if (relaxedHeader) {
      RelaxedCanonicalizer.header(own, 0, colon, own.length, data);
    } else {
      SimpleCanonicalizer.header(own, 0, own.length, data);
    }

    byte[] signature = Base64.getDecoder().decode(tags.get("b"));
    try {
      boolean ok;
      if (c.key instanceof RSAPublicKey) {
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initVerify(c.key);
        s.update(data.buf, 0, data.size);
        ok = s.verify(signature);
      } else {
        // RFC 8463 §3: PureEdDSA over the SHA-256 hash of the header data.
        sha256.update(data.buf, 0, data.size);
        Signature s = Signature.getInstance("Ed25519", CryptoProviders.ed25519());
        s.initVerify(c.key);
        s.update(sha256.digest());
        ok = s.verify(signature);
      }
      return ok ? verdict(c, Result.PASS, "") : verdict(c, Result.FAIL, "signature did not verify");
    } catch (GeneralSecurityException | RuntimeException e) {
      // A malformed signature value (wrong length) is a failed signature, not our failure.
      return verdict(c, Result.FAIL, "signature did not verify: " + e.getMessage());
    }
  }

  private static Verdict verdict(Candidate c, Result result, String reason) {
    return new Verdict(c.domain, c.selector, c.algorithm, result, reason);
  }

  /** The field's value (after the colon), unfolded, as text. */
  private static String value(byte[] m, Field f) {
    return new String(m, f.colon() + 1, f.end() - f.colon() - 1, StandardCharsets.ISO_8859_1)
        .replace("\r\n", "");
  }

  /**
   * The tag list of a signature (§3.2): names lower-cased, values stripped; whitespace removed from
   * the base64 values b= and bh= and from h=. A duplicate tag is a syntax error.
   */
  static Map<String, String> tags(String text) {
    Map<String, String> tags = new LinkedHashMap<>();
    for (String spec : text.split(";", -1)) {
      if (spec.isBlank()) {
        continue;
      }
      int eq = spec.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("tag without '=' in DKIM-Signature");
      }
      String name = spec.substring(0, eq).strip().toLowerCase(Locale.ROOT);
      if (!name.matches("[a-z][a-z0-9_]*")) {
        throw new IllegalArgumentException("invalid tag name in DKIM-Signature");
      }
      String value = spec.substring(eq + 1).strip();
      if (name.equals("b") || name.equals("bh") || name.equals("h")) {
        value = value.replaceAll("[ \\t]", "");
      }
      if (tags.put(name, value) != null) {
        throw new IllegalArgumentException("duplicate tag " + name + "= in DKIM-Signature");
      }
    }
    return tags;
  }

  /**
   * The signature field's bytes with the value of its {@code b=} tag removed, everything else
   * (folding, spaces, the {@code b=} itself) kept, as §3.7 hashes it.
   */
  static byte[] withoutSignatureValue(byte[] m, Field f) {
    int pos = f.colon() + 1;
    int end = f.end();
    while (pos < end) {
      int semi = pos;
      while (semi < end && m[semi] != ';') {
        semi++;
      }
      int eq = pos;
      while (eq < semi && m[eq] != '=') {
        eq++;
      }
      if (eq < semi && isTagName(m, pos, eq, "b")) {
        byte[] out = new byte[(f.end() - f.start()) - (semi - (eq + 1))];
        int head = eq + 1 - f.start();
        System.arraycopy(m, f.start(), out, 0, head);
        System.arraycopy(m, semi, out, head, end - semi);
        return out;
      }
      pos = semi + 1;
    }
    byte[] out = new byte[f.end() - f.start()];
    System.arraycopy(m, f.start(), out, 0, out.length);
    return out;
  }

  /** Whether {@code m[from, to)} is the tag name {@code name} surrounded by optional FWS. */
  private static boolean isTagName(byte[] m, int from, int to, String name) {
    int a = from;
    int b = to;
    while (a < b && isFws(m[a])) {
      a++;
    }
    while (b > a && isFws(m[b - 1])) {
      b--;
    }
    if (b - a != name.length()) {
      return false;
    }
    for (int k = 0; k < name.length(); k++) {
      if (Character.toLowerCase((char) m[a + k]) != name.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isFws(byte b) {
    return b == ' ' || b == '\t' || b == '\r' || b == '\n';
  }
}

package io.postwire.dkim;

import io.postwire.dkim.RelaxedCanonicalizer.ByteSink;
import io.postwire.dkim.RelaxedCanonicalizer.Field;
import io.postwire.dkim.RelaxedCanonicalizer.Header;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;
import org.bouncycastle.jcajce.interfaces.EdDSAPrivateKey;

/**
 * Signs messages with one DKIM key (RFC 6376, RFC 8463): relaxed/relaxed canonicalization, the
 * usual header set signed bottom-up and the identity headers over-signed. Built once per key (the
 * key is checked by a trial signature), then thread-safe and cheap per message. Dual signing is two
 * signers whose header fields are both prepended.
 */
public final class DkimSigner {

  /**
   * Header fields signed when present, each as often as it occurs (RFC 6376 §5.4, §5.4.2): those a
   * reader sees or a client acts on (M3AAWG's DKIM signing guidance), and the MIME fields, so no
   * replay can change how the body is read.
   */
  static final List<String> SIGNED_HEADERS =
      List.of(
          "from",
          "sender",
          "reply-to",
          "to",
          "cc",
          "subject",
          "date",
          "message-id",
          "in-reply-to",
          "references",
          "mime-version",
          "content-type",
          "content-transfer-encoding",
          "list-id",
          "list-unsubscribe",
          "list-unsubscribe-post");

  /**
   * Signed once more than they occur (an {@code h=} entry with no field, §8.15), so a copy added
   * later breaks the signature: a second From, Reply-To or Content-Type would change what the
   * reader sees.
   */
  static final List<String> OVERSIGNED_HEADERS =
      List.of(
          "from",
          "sender",
          "reply-to",
          "to",
          "cc",
          "subject",
          "date",
          "message-id",
          "mime-version",
          "content-type",
          "content-transfer-encoding",
          "list-unsubscribe",
          "list-unsubscribe-post");

  /** Header lines are folded to at most this many characters where possible (RFC 5322 §2.1.1). */
  static final int LINE_LIMIT = 78;

  private static final Pattern DOMAIN =
      Pattern.compile(
          "(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
              + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
  private static final Pattern SELECTOR =
      Pattern.compile(
          "(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
              + "(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*");

  static final String FIELD_NAME = "DKIM-Signature";

  private static final byte[] PROBE = "postwire dkim key check".getBytes(StandardCharsets.US_ASCII);
  private static final int SCRATCH_BYTES = 8192;

  private final DkimAlgorithm algorithm;
  private final String domain;
  private final String selector;
  private final PrivateKey key;
  private final Provider provider;
  private final String jcaAlgorithm;
  private final int signatureBase64Length;

  /** Per-thread state reused across calls: JCA objects are not thread-safe but are reusable. */
  private final ConcurrentLinkedQueue<Engine> engines = new ConcurrentLinkedQueue<>();

  /** A tag of the DKIM-Signature field; a {@code bh} tag with a null value gets the body hash. */
  record Tag(String name, String value) {}

  /**
   * A signer for {@code selector._domainkey.domain}, using the provider measured fastest for the
   * algorithm (for RSA the native-backed one where it loads, else the JDK's).
   *
   * @throws IllegalArgumentException when the key does not match the algorithm, is too short (RSA
   *     below 1024 bits, RFC 8301 §3.2) or fails a trial signature, or the domain or selector is
   *     not a valid DNS name
   */
  public DkimSigner(DkimAlgorithm alg, String domain, String selector, PrivateKey key) {
    this(alg, domain, selector, key, null);
  }

  /**
   * As {@link #DkimSigner(DkimAlgorithm, String, String, PrivateKey)}, but signing with {@code
   * provider} (null: the default choice). For benchmarks and provider comparisons.
   */
  public DkimSigner(
      DkimAlgorithm alg, String domain, String selector, PrivateKey key, Provider provider) {
    this.algorithm = Objects.requireNonNull(alg, "alg");
    Objects.requireNonNull(key, "key");
    if (domain == null || !DOMAIN.matcher(domain).matches()) {
      throw new IllegalArgumentException("not a DNS domain name: " + domain);
    }
    if (selector == null || !SELECTOR.matcher(selector).matches()) {
      throw new IllegalArgumentException("not a DKIM selector: " + selector);
    }
    this.domain = domain;
    this.selector = selector;
    DkimKeys.checkKeyMatches(alg, key.getAlgorithm());
    if (key instanceof RSAKey rsa && rsa.getModulus().bitLength() < 1024) {
      throw new IllegalArgumentException(
          "RSA key of "
              + rsa.getModulus().bitLength()
              + " bits: RFC 8301 requires at least 1024 (2048 recommended)");
    }
    this.jcaAlgorithm = alg == DkimAlgorithm.RSA_SHA256 ? "SHA256withRSA" : "Ed25519";

    Provider preferred =
        provider != null
            ? provider
            : alg == DkimAlgorithm.RSA_SHA256 ? CryptoProviders.rsa() : CryptoProviders.ed25519();
    PrivateKey prepared;
    Provider chosen = preferred;
    try {
      prepared = prepare(key, preferred);
    } catch (GeneralSecurityException | RuntimeException e) {
      Provider fallback =
          alg == DkimAlgorithm.RSA_SHA256 && provider == null ? CryptoProviders.jdkRsa() : null;
      if (fallback == null || fallback == preferred) {
        throw new IllegalArgumentException(
            "the " + alg.wireName() + " key fails a trial signature: " + e.getMessage(), e);
      }
      try {
        prepared = prepare(key, fallback);
        chosen = fallback;
      } catch (GeneralSecurityException | RuntimeException e2) {
        throw new IllegalArgumentException(
            "the " + alg.wireName() + " key fails a trial signature: " + e2.getMessage(), e2);
      }
    }
    this.key = prepared;
    this.provider = chosen;
    Engine probe = engine();
    try {
      // Its length places b= when folding; the probe engine then serves the first message.
      probe.signature.update(PROBE);
      this.signatureBase64Length =
          Base64.getEncoder().encodeToString(probe.signature.sign()).length();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the " + alg.wireName() + " key cannot sign", e);
    }
    engines.offer(probe);
  }

  /** The JCA provider that serves this signer's signatures, for logs and the benchmark. */
  public String providerName() {
    return provider.getName();
  }

  /** The provider instance itself (it may not be registered), so a benchmark can use the same. */
  Provider provider() {
    return provider;
  }

  /** The algorithm this signer signs with. */
  public DkimAlgorithm algorithm() {
    return algorithm;
  }

  /** The signing domain ({@code d=}). */
  public String domain() {
    return domain;
  }

  /** The selector ({@code s=}). */
  public String selector() {
    return selector;
  }

  /**
   * Signs a message and returns the complete {@code DKIM-Signature} header field, folded, ending in
   * CRLF, to be prepended to exactly these message bytes.
   *
   * @param message the whole message, CRLF line ends (7-bit, transfer-encoded); DKIM-Signature
   *     fields already in it are left alone and not signed
   * @param now the signing time ({@code t=})
   * @throws IllegalArgumentException when the message does not have exactly one From field or its
   *     header is malformed (bare CR or LF, a line without a colon)
   */
  public String sign(byte[] message, Instant now) {
    Header header = RelaxedCanonicalizer.parseHeader(message);
    Map<String, Integer> counts = new HashMap<>();
    for (Field f : header.fields()) {
      counts.merge(f.name(), 1, Integer::sum);
    }
    StringBuilder h = new StringBuilder(160);
    for (String name : SIGNED_HEADERS) {
      int times = counts.getOrDefault(name, 0) + (OVERSIGNED_HEADERS.contains(name) ? 1 : 0);
      for (int i = 0; i < times; i++) {
        if (h.length() > 0) {
          h.append(':');
        }
        h.append(name);
      }
    }
    List<Tag> tags =
        List.of(
            new Tag("v", "1"),
            new Tag("a", algorithm.wireName()),
            new Tag("c", "relaxed/relaxed"),
            new Tag("d", domain),
            new Tag("s", selector),
            new Tag("t", Long.toString(now.getEpochSecond())),
            new Tag("h", h.toString()),
            new Tag("bh", null));
    return sign(message, header, tags);
  }

  /**
   * Signs with the given tags, in their order, followed by {@code b=}. The production path and the
   * RFC 8463 Appendix A test (which needs that example's tags) share this code.
   */
  String signWithTags(byte[] message, List<Tag> tags) {
    return sign(message, RelaxedCanonicalizer.parseHeader(message), tags);
  }

  private String sign(byte[] message, Header header, List<Tag> tags) {
    List<Field> fields = header.fields();
    int froms = 0;
    for (Field f : fields) {
      if (f.name().equals("from")) {
        froms++;
      }
    }
    if (froms != 1) {
      throw new IllegalArgumentException(
          "a message to sign must have exactly one From field, this one has " + froms);
    }
    Engine e = engine();
    try {
      // Body hash (§3.7): canonicalize and hash in one pass over the message bytes.
      RelaxedCanonicalizer.body(message, header.bodyStart(), message.length, e.sha256, e.scratch);
      String bodyHash = Base64.getEncoder().encodeToString(e.sha256.digest());

      Folder folder = new Folder();
      List<String> signedNames = null;
      for (Tag t : tags) {
        String value = t.value();
        if (t.name().equals("bh") && value == null) {
          value = bodyHash;
        }
        if (t.name().equals("h")) {
          signedNames = parseHeaderList(value);
        }
        folder.tag(t.name(), value);
      }
      if (signedNames == null) {
        throw new IllegalArgumentException("no h= tag");
      }
      folder.signaturePrefix(signatureBase64Length);
      String unsigned = folder.text();

      // Header hash input (§3.7): the signed fields, each picked bottom-up (§5.4.2), then this
      // DKIM-Signature with an empty b= and no trailing CRLF.
      ByteSink data = e.data;
      data.reset();
      // each name's fields bottom-up, so picking them costs one pass, however many repeat
      Map<String, List<Field>> bottomUp = new HashMap<>();
      for (int i = fields.size() - 1; i >= 0; i--) {
        bottomUp.computeIfAbsent(fields.get(i).name(), k -> new ArrayList<>()).add(fields.get(i));
      }
      Map<String, Integer> used = new HashMap<>();
      for (String name : signedNames) {
        int skip = used.merge(name, 1, Integer::sum) - 1;
        List<Field> named = bottomUp.get(name);
        Field f = named != null && skip < named.size() ? named.get(skip) : null;
        if (f != null) {
          RelaxedCanonicalizer.header(message, f.start(), f.colon(), f.end(), data);
          data.crlf();
        }
      }
      byte[] own = unsigned.getBytes(StandardCharsets.US_ASCII);
      RelaxedCanonicalizer.header(own, 0, FIELD_NAME.length(), own.length, data);

      Signature s = e.signature;
      if (algorithm == DkimAlgorithm.ED25519_SHA256) {
        // RFC 8463 §3: PureEdDSA over the SHA-256 hash of the header data.
        e.sha256.update(data.buf, 0, data.size);
        s.update(e.sha256.digest());
      } else {
        s.update(data.buf, 0, data.size);
      }
      String b = Base64.getEncoder().encodeToString(s.sign());
      engines.offer(e);
      return folder.finish(b);
    } catch (GeneralSecurityException ex) {
      throw new IllegalStateException("signing failed with " + provider.getName(), ex);
    }
    // On any exception the engine is dropped, not pooled: its state is unknown.
  }

  /** The names of an {@code h=} value (RFC 6376 §3.5), lowercased; FWS around colons allowed. */
  static List<String> parseHeaderList(String value) {
    List<String> names = new ArrayList<>();
    for (String part : value.split(":", -1)) {
      String name = part.strip().toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        throw new IllegalArgumentException("empty name in h=" + value);
      }
      names.add(name);
    }
    return names;
  }

  private Engine engine() {
    Engine e = engines.poll();
    if (e != null) {
      return e;
    }
    try {
      return new Engine(newSignature(key, provider));
    } catch (GeneralSecurityException ex) {
      throw new IllegalStateException("cannot sign with " + provider.getName(), ex);
    }
  }

  private Signature newSignature(PrivateKey k, Provider p) throws GeneralSecurityException {
    Signature s = Signature.getInstance(jcaAlgorithm, p);
    s.initSign(k);
    return s;
  }

  /**
   * The key in {@code p}'s own representation (so no provider converts it on every signature),
   * checked by a trial signature verified with the key's public half where that can be derived.
   */
  private PrivateKey prepare(PrivateKey k, Provider p) throws GeneralSecurityException {
    String keyAlgorithm = algorithm == DkimAlgorithm.RSA_SHA256 ? "RSA" : "Ed25519";
    PrivateKey own =
        KeyFactory.getInstance(keyAlgorithm, p)
            .generatePrivate(new PKCS8EncodedKeySpec(DkimKeys.encodePrivate(k)));
    Signature s = newSignature(own, p);
    s.update(PROBE);
    byte[] sig = s.sign();
    PublicKey pub = publicHalf(k);
    if (pub != null) {
      Signature v = Signature.getInstance(jcaAlgorithm, CryptoProviders.ed25519());
      v.initVerify(pub);
      v.update(PROBE);
      if (!v.verify(sig)) {
        throw new GeneralSecurityException("trial signature does not verify");
      }
    }
    return own;
  }

  private static PublicKey publicHalf(PrivateKey k) throws GeneralSecurityException {
    if (k instanceof RSAPrivateCrtKey crt) {
      return KeyFactory.getInstance("RSA")
          .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
    }
    if (k instanceof EdDSAPrivateKey ed) {
      return ed.getPublicKey();
    }
    return null;
  }

  /** Reusable per-call state; one is used by one thread at a time. */
  private static final class Engine {
    final Signature signature;
    final MessageDigest sha256;
    final byte[] scratch = new byte[SCRATCH_BYTES];
    final ByteSink data = new ByteSink(1024);

    Engine(Signature signature) {
      this.signature = signature;
      try {
        this.sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is unavailable", e);
      }
    }
  }

  /**
   * Lays out the DKIM-Signature field: tags separated by SP, folded with CRLF SP where a line would
   * pass {@link #LINE_LIMIT}. Folds fall only where the grammar allows FWS (§3.2, §3.5): between
   * tags, after a colon of {@code h=}, inside base64. The signature covers exactly these bytes
   * (with b= empty), so the verifier's relaxed canonicalization sees the same text.
   */
  static final class Folder {
    private final StringBuilder sb = new StringBuilder(512);
    private int line;

    Folder() {
      sb.append(FIELD_NAME).append(':');
      line = sb.length();
    }

    void tag(String name, String value) {
      // Atoms are split at SP (kept as a separator) and after each colon of the value.
      String text = name + "=" + value + ";";
      boolean space = true;
      int i = 0;
      while (i < text.length()) {
        int j = i;
        while (j < text.length() && text.charAt(j) != ' ' && text.charAt(j) != ':') {
          j++;
        }
        if (j < text.length() && text.charAt(j) == ':') {
          j++;
        }
        if (j > i) {
          atom(text.substring(i, j), space);
          space = false;
        }
        if (j < text.length() && text.charAt(j) == ' ') {
          space = true;
          while (j < text.length() && text.charAt(j) == ' ') {
            j++;
          }
        }
        i = j;
      }
    }

    private void atom(String s, boolean space) {
      int need = s.length() + (space ? 1 : 0);
      if (line + need > LINE_LIMIT && line > 1) {
        fold();
      } else if (space) {
        sb.append(' ');
        line++;
      }
      sb.append(s);
      line += s.length();
    }

    private void fold() {
      sb.append("\r\n ");
      line = 1;
    }

    /** Places {@code b=} so that at least a few signature characters follow it on its line. */
    void signaturePrefix(int signatureLength) {
      atom("b=", true);
      if (line + Math.min(8, signatureLength) > LINE_LIMIT) {
        // Keep "b=" with the start of its value: move both to a fresh line.
        sb.setLength(sb.length() - 2);
        while (sb.charAt(sb.length() - 1) == ' ') {
          sb.setLength(sb.length() - 1);
        }
        fold();
        sb.append("b=");
        line += 2;
      }
    }

    /** The field as signed: everything up to and including the empty {@code b=}. */
    String text() {
      return sb.toString();
    }

    /** The finished field: the signature, folded, and the closing CRLF. */
    String finish(String signature) {
      int i = 0;
      while (i < signature.length()) {
        int room = LINE_LIMIT - line;
        if (room <= 0) {
          fold();
          room = LINE_LIMIT - line;
        }
        int j = Math.min(signature.length(), i + room);
        sb.append(signature, i, j);
        line += j - i;
        i = j;
      }
      return sb.append("\r\n").toString();
    }
  }
}

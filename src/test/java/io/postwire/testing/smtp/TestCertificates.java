package io.postwire.testing.smtp;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority and server certificates, generated at test time, for STARTTLS
 * tests (RFC 3207) with and without certificate verification.
 */
public final class TestCertificates {

  private static final char[] PASSWORD = "changeit".toCharArray();
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private final KeyPair caKeys;
  private final X509Certificate caCert;

  private TestCertificates(KeyPair caKeys, X509Certificate caCert) {
    this.caKeys = caKeys;
    this.caCert = caCert;
  }

  /** A new certificate authority named "Postwire Test CA". */
  public static TestCertificates newAuthority() {
    try {
      KeyPair keys = rsa();
      X500Name name = new X500Name("CN=Postwire Test CA");
      JcaX509v3CertificateBuilder builder = builder(name, name, keys);
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      return new TestCertificates(keys, sign(builder, keys.getPrivate()));
    } catch (Exception e) {
      throw new IllegalStateException("cannot create a test CA", e);
    }
  }

  /** A trust store holding only this authority's certificate. */
  public KeyStore trustStore() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("postwire-test-ca", caCert);
      return store;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The authority's certificate. */
  public X509Certificate caCertificate() {
    return caCert;
  }

  /**
   * A server TLS context whose certificate this authority issued for {@code dnsName} (and any
   * further names, as more subject alternative names).
   */
  public SSLContext serverContext(String dnsName, String... moreNames) {
    try {
      KeyPair keys = rsa();
      JcaX509v3CertificateBuilder builder =
          builder(new X500Name("CN=Postwire Test CA"), new X500Name("CN=" + dnsName), keys);
      GeneralName[] names = new GeneralName[1 + moreNames.length];
      names[0] = new GeneralName(GeneralName.dNSName, dnsName);
      for (int i = 0; i < moreNames.length; i++) {
        names[i + 1] = new GeneralName(GeneralName.dNSName, moreNames[i]);
      }
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      X509Certificate cert = sign(builder, caKeys.getPrivate());
      return context(keys.getPrivate(), cert, caCert);
    } catch (Exception e) {
      throw new IllegalStateException("cannot issue a server certificate", e);
    }
  }

  /**
   * A server TLS context whose certificate this authority issued for the IP address {@code ip} (an
   * iPAddress subject alternative name), as for a relay configured by its address.
   */
  public SSLContext serverContextForAddress(String ip) {
    try {
      KeyPair keys = rsa();
      JcaX509v3CertificateBuilder builder =
          builder(new X500Name("CN=Postwire Test CA"), new X500Name("CN=" + ip), keys);
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.iPAddress, ip)));
      return context(keys.getPrivate(), sign(builder, caKeys.getPrivate()), caCert);
    } catch (Exception e) {
      throw new IllegalStateException("cannot issue a server certificate", e);
    }
  }

  /** A server TLS context with a self-signed certificate for {@code dnsName} (no authority). */
  public static SSLContext selfSignedServerContext(String dnsName) {
    try {
      KeyPair keys = rsa();
      X500Name name = new X500Name("CN=" + dnsName);
      JcaX509v3CertificateBuilder builder = builder(name, name, keys);
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
      return context(keys.getPrivate(), sign(builder, keys.getPrivate()));
    } catch (Exception e) {
      throw new IllegalStateException("cannot create a self-signed certificate", e);
    }
  }

  /**
   * Writes a self-signed certificate for {@code dnsName} and its key as PEM files {@code cert.pem}
   * and {@code key.pem} (PKCS #8) into {@code dir}.
   */
  public static void selfSignedPem(String dnsName, Path dir) {
    try {
      KeyPair keys = rsa();
      X500Name name = new X500Name("CN=" + dnsName);
      JcaX509v3CertificateBuilder builder = builder(name, name, keys);
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
      X509Certificate cert = sign(builder, keys.getPrivate());
      Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", cert.getEncoded()));
      Files.writeString(dir.resolve("key.pem"), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    } catch (Exception e) {
      throw new IllegalStateException("cannot write a self-signed certificate", e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static SSLContext context(PrivateKey key, X509Certificate... chain) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("server", key, PASSWORD, chain);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, PASSWORD);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    return context;
  }

  private static JcaX509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(1, ChronoUnit.DAYS)),
        Date.from(now.plus(7, ChronoUnit.DAYS)),
        subject,
        keys.getPublic());
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder builder, PrivateKey key)
      throws Exception {
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(key)));
  }

  private static KeyPair rsa() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }
}

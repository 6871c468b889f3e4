package io.postwire.dkim;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.Provider;
import java.security.Security;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The JCA providers DKIM signing uses, chosen by measurement (ARCHITECTURE.md): Ed25519 through
 * BouncyCastle, RSA through the native-backed Corretto provider where it loads, else the JDK.
 * Neither is registered globally: signers hold the instances.
 */
final class CryptoProviders {

  private CryptoProviders() {}

  /** BouncyCastle: pure Java, and an order of magnitude faster at Ed25519 than the JDK. */
  static Provider ed25519() {
    return BouncyCastle.INSTANCE;
  }

  /** The fastest RSA provider that loads here; the JDK's when the native one does not. */
  static Provider rsa() {
    Provider native_ = Corretto.INSTANCE;
    return native_ != null ? native_ : jdkRsa();
  }

  /** The JDK's own RSA signature provider, the fallback that always works. */
  static Provider jdkRsa() {
    Provider p = Security.getProvider("SunRsaSign");
    if (p == null) {
      throw new IllegalStateException("the JDK's SunRsaSign provider is missing");
    }
    return p;
  }

  private static final class BouncyCastle {
    static final Provider INSTANCE = new BouncyCastleProvider();
  }

  /**
   * Its own holder class so that a missing jar (NoClassDefFoundError) or native library (a native
   * image, another platform) only makes the field null instead of failing the caller.
   */
  private static final class Corretto {
    static final Provider INSTANCE = load();

    private static Provider load() {
      try {
        AmazonCorrettoCryptoProvider p = AmazonCorrettoCryptoProvider.INSTANCE;
        // Throws when the native library did not load or a self-test failed.
        p.assertHealthy();
        return p;
      } catch (LinkageError | RuntimeException unavailable) {
        return null;
      }
    }
  }
}

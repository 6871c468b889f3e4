package io.postwire.analytics;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.dns.MxHost;
import io.postwire.dns.MxResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which provider an MX names (the lookups themselves are in StatsTests, against the test DNS). */
class ProvidersTest {

  @Test
  void namesTheProviderOfWellKnownMxHosts() {
    assertThat(Providers.ofHost("gmail-smtp-in.l.google.com")).isEqualTo("gmail");
    assertThat(Providers.ofHost("ASPMX.L.GOOGLE.COM.")).isEqualTo("gmail");
    assertThat(Providers.ofHost("example-com.mail.protection.outlook.com")).isEqualTo("microsoft");
    assertThat(Providers.ofHost("hotmail-com.olc.protection.outlook.com")).isEqualTo("microsoft");
    assertThat(Providers.ofHost("mta5.am0.yahoodns.net")).isEqualTo("yahoo");
    assertThat(Providers.ofHost("mx01.mail.icloud.com")).isEqualTo("apple");
    assertThat(Providers.ofHost("mx.zoho.eu")).isEqualTo("zoho");
    assertThat(Providers.ofHost("mail.protonmail.ch")).isEqualTo("proton");
    assertThat(Providers.ofHost("in1-smtp.messagingengine.com")).isEqualTo("fastmail");
    assertThat(Providers.ofHost("mx.example.org")).isEqualTo("other");
    // a suffix match is on a label boundary
    assertThat(Providers.ofHost("notgoogle.com")).isEqualTo("other");
  }

  @Test
  void theMostPreferredKnownHostDecidesAndNoMxIsOther() {
    assertThat(
            Providers.ofMx(
                new MxResult.Hosts(
                    List.of(
                        new MxHost(20, "alt1.aspmx.l.google.com"),
                        new MxHost(10, "backup.example.org")))))
        .isEqualTo("gmail");
    assertThat(Providers.ofMx(new MxResult.NoSuchDomain())).isEqualTo("other");
    assertThat(Providers.ofMx(new MxResult.NullMx())).isEqualTo("other");
    assertThat(Providers.ofMx(new MxResult.Implicit("example.org"))).isEqualTo("other");
  }
}

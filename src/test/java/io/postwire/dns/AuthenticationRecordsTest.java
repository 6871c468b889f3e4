package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The DKIM key, DMARC, MTA-STS and TLS-RPT record grammars. */
class AuthenticationRecordsTest {

  private static final String KEY =
      "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt"
          + "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0"
          + "fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB";

  @Test
  void parsesTheRfc6376AppendixCKeyRecord() {
    DkimKeyRecord record = DkimKeyRecord.parse("v=DKIM1; k=rsa; p=" + KEY);

    assertThat(record.keyType()).isEqualTo("rsa");
    assertThat(record.publicKey()).isEqualTo(Base64.getDecoder().decode(KEY));
    assertThat(record.revoked()).isFalse();
    assertThat(record.allowsEmail()).isTrue();
    assertThat(record.allowsHash("sha256")).isTrue();
  }

  @Test
  void readsHashServiceAndFlagTags_rfc6376_3_6_1() {
    DkimKeyRecord record =
        DkimKeyRecord.parse("v=DKIM1; h=sha256; s=email; t=y:s; n=rotated in May; p=" + KEY);

    assertThat(record.allowsHash("sha1")).isFalse();
    assertThat(record.allowsHash("sha256")).isTrue();
    assertThat(record.testing()).isTrue();
    assertThat(record.strictSubdomains()).isTrue();
    assertThat(record.notes()).isEqualTo("rotated in May");
  }

  @Test
  void readsAnEmptyKeyAsRevoked_rfc6376_3_6_1() {
    assertThat(DkimKeyRecord.parse("v=DKIM1; p=").revoked()).isTrue();
  }

  @Test
  void ignoresWhitespaceInsideTheKey_rfc6376_3_6_1() {
    String split = KEY.substring(0, 40) + " \t" + KEY.substring(40);
    assertThat(DkimKeyRecord.parse("p=" + split).publicKey())
        .isEqualTo(Base64.getDecoder().decode(KEY));
  }

  @Test
  void rejectsBrokenDkimKeyRecords_rfc6376_3_6_1() {
    assertThatThrownBy(() -> DkimKeyRecord.parse("v=DKIM1; k=rsa"))
        .hasMessageContaining("p= is missing");
    assertThatThrownBy(() -> DkimKeyRecord.parse("k=rsa; v=DKIM1; p=" + KEY))
        .isInstanceOfSatisfying(
            RecordSyntaxException.class, e -> assertThat(e.position()).isEqualTo(10))
        .hasMessageContaining("first");
    assertThatThrownBy(() -> DkimKeyRecord.parse("v=DKIM2; p=" + KEY))
        .hasMessageContaining("DKIM1");
    assertThatThrownBy(() -> DkimKeyRecord.parse("v=DKIM1; p=not*base64"))
        .hasMessageContaining("base64");
    assertThatThrownBy(() -> DkimKeyRecord.parse("v=DKIM1; p=" + KEY + "; p=" + KEY))
        .hasMessageContaining("duplicate");
  }

  @Test
  void parsesAFullDmarcRecord_rfc7489_6_3() {
    DmarcRecord record =
        DmarcRecord.parse(
            "v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=r; pct=50;"
                + " rua=mailto:dmarc@example.com,mailto:agg@example.net!10m;"
                + " ruf=mailto:forensic@example.com; fo=1:d; rf=afrf; ri=3600");

    assertThat(record.valid()).isTrue();
    assertThat(record.policy()).isEqualTo("quarantine");
    assertThat(record.subdomainPolicy()).isEqualTo("reject");
    assertThat(record.dkimAlignment()).isEqualTo("s");
    assertThat(record.spfAlignment()).isEqualTo("r");
    assertThat(record.percent()).isEqualTo(50);
    assertThat(record.aggregateReports())
        .containsExactly(
            URI.create("mailto:dmarc@example.com"), URI.create("mailto:agg@example.net"));
    assertThat(record.failureReports()).containsExactly(URI.create("mailto:forensic@example.com"));
    assertThat(record.failureOptions()).containsExactly("1", "d");
    assertThat(record.reportInterval()).isEqualTo(3600);
  }

  @Test
  void appliesDmarcDefaults_rfc7489_6_3() {
    DmarcRecord record = DmarcRecord.parse("v=DMARC1; p=none");

    assertThat(record.subdomainPolicy()).isEqualTo("none");
    assertThat(record.dkimAlignment()).isEqualTo("r");
    assertThat(record.percent()).isEqualTo(100);
    assertThat(record.failureOptions()).containsExactly("0");
    assertThat(record.reportFormats()).containsExactly("afrf");
    assertThat(record.reportInterval()).isEqualTo(86400);
  }

  @Test
  void reportsEachInvalidDmarcTag_rfc7489_6_3() {
    DmarcRecord record =
        DmarcRecord.parse("v=DMARC1; p=block; adkim=x; pct=150; fo=2; rua=not a uri; ri=-1");

    assertThat(record.valid()).isFalse();
    assertThat(record.problems())
        .anySatisfy(p -> assertThat(p).startsWith("p=block"))
        .anySatisfy(p -> assertThat(p).startsWith("adkim=x"))
        .anySatisfy(p -> assertThat(p).startsWith("pct=150"))
        .anySatisfy(p -> assertThat(p).startsWith("fo=2"))
        .anySatisfy(p -> assertThat(p).startsWith("rua=not a uri"))
        .anySatisfy(p -> assertThat(p).startsWith("ri=-1"));
    assertThat(DmarcRecord.parse("v=DMARC1; rua=mailto:a@example.com").problems())
        .containsExactly("required tag p= is missing");
  }

  @Test
  void rejectsARecordNotStartingWithTheDmarcVersion_rfc7489_6_3() {
    assertThatThrownBy(() -> DmarcRecord.parse("p=reject; v=DMARC1"))
        .hasMessageContaining("v=DMARC1");
    assertThatThrownBy(() -> DmarcRecord.parse("v=DMARC2; p=reject"))
        .hasMessageContaining("DMARC1");
  }

  @Test
  void parsesTheMtaStsRecord_rfc8461_3_1() {
    assertThat(MtaStsRecord.parse("v=STSv1; id=20160831085700Z;").id())
        .isEqualTo("20160831085700Z");
    assertThat(MtaStsRecord.parse("v=STSv1;id=abc; ext=1").id()).isEqualTo("abc");
    assertThatThrownBy(() -> MtaStsRecord.parse("v=STSv1;")).hasMessageContaining("id=");
    assertThatThrownBy(() -> MtaStsRecord.parse("v=STSv1; id=has-dash"))
        .hasMessageContaining("letters and digits");
    assertThatThrownBy(() -> MtaStsRecord.parse("v=STSv1; id=" + "a".repeat(33)))
        .hasMessageContaining("1-32");
    assertThatThrownBy(() -> MtaStsRecord.parse("id=abc; v=STSv1")).hasMessageContaining("start");
  }

  @Test
  void parsesThePolicyFileWithCrlfOrLf_rfc8461_3_2() {
    String text =
        "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n";
    MtaStsPolicy lf = MtaStsPolicy.parse(text);
    MtaStsPolicy crlf = MtaStsPolicy.parse(text.replace("\n", "\r\n"));

    assertThat(lf).isEqualTo(crlf);
    assertThat(lf.mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
    assertThat(lf.mx())
        .containsExactly("mail.example.com", "*.example.net", "backupmx.example.com");
    assertThat(lf.maxAge()).isEqualTo(604800);
  }

  @Test
  void matchesWildcardsOnExactlyOneLabel_rfc8461_4_1() {
    MtaStsPolicy policy =
        MtaStsPolicy.parse(
            "version: STSv1\nmode: testing\nmx: *.example.net\nmx: mail.example.com\nmax_age: 86400\n");

    assertThat(policy.matches("mx1.example.net")).isTrue();
    assertThat(policy.matches("MX1.Example.Net.")).isTrue();
    assertThat(policy.matches("example.net")).isFalse();
    assertThat(policy.matches("a.b.example.net")).isFalse();
    assertThat(policy.matches("mail.example.com")).isTrue();
    assertThat(policy.matches("other.example.com")).isFalse();
  }

  @Test
  void rejectsBrokenPolicies_rfc8461_3_2() {
    assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmax_age: 86400\n"))
        .hasMessageContaining("at least one mx");
    assertThatThrownBy(
            () -> MtaStsPolicy.parse("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n"))
        .isInstanceOfSatisfying(
            RecordSyntaxException.class, e -> assertThat(e.position()).isEqualTo(21))
        .hasMessageContaining("enforce, testing or none");
    assertThatThrownBy(() -> MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 31557601\n"))
        .hasMessageContaining("max_age");
    assertThatThrownBy(() -> MtaStsPolicy.parse("mode: none\nmax_age: 1\n"))
        .hasMessageContaining("version");
    assertThat(MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 0\n").mx()).isEmpty();
  }

  @Test
  void parsesTlsRptRecords_rfc8460_3() {
    TlsRptRecord record =
        TlsRptRecord.parse(
            "v=TLSRPTv1; rua=mailto:reports@example.com,https://reporting.example.com/v1/");

    assertThat(record.reportUris())
        .containsExactly(
            URI.create("mailto:reports@example.com"),
            URI.create("https://reporting.example.com/v1/"));
    assertThatThrownBy(() -> TlsRptRecord.parse("v=TLSRPTv1; rua=http://example.com/"))
        .hasMessageContaining("mailto: or https:");
    assertThatThrownBy(() -> TlsRptRecord.parse("v=TLSRPTv1;")).hasMessageContaining("rua=");
    assertThatThrownBy(() -> TlsRptRecord.parse("v=TLSRPTv2; rua=mailto:a@b.c"))
        .hasMessageContaining("start");
  }
}

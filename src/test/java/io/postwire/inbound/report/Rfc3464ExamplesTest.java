package io.postwire.inbound.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The example notifications of RFC 3464 appendix A, reconstructed as test resources. */
class Rfc3464ExamplesTest {

  @Test
  void appendixA1SimpleDsnReportsTheFailedRecipientWithItsStatusAndDiagnostic() {
    String dsn =
        """
        From: Mail Delivery Subsystem <MAILER-DAEMON@CS.UTK.EDU>
        Subject: Returned mail: Cannot send message for 5 days
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status;
            boundary="RAA14128.773615765/CS.UTK.EDU"

        --RAA14128.773615765/CS.UTK.EDU

        The original message was received at Sat, 2 Jul 1994 17:10:28 -0400

        --RAA14128.773615765/CS.UTK.EDU
        content-type: message/delivery-status

        Reporting-MTA: dns; cs.utk.edu

        Original-Recipient: rfc822;louisl@larry.slip.umd.edu
        Final-Recipient: rfc822;louisl@larry.slip.umd.edu
        Action: failed
        Status: 4.0.0
        Diagnostic-Code: smtp; 426 connection timed out
        Last-Attempt-Date: Thu, 7 Jul 1994 17:15:49 -0400

        --RAA14128.773615765/CS.UTK.EDU--
        """;
    InboundReport report = InboundReports.parse(dsn.getBytes(StandardCharsets.UTF_8));
    assertThat(report).isInstanceOf(DeliveryReport.class);
    DeliveryReport d = (DeliveryReport) report;
    assertThat(d.standard()).isTrue();
    assertThat(d.reportingMta()).isEqualTo("cs.utk.edu");
    assertThat(d.recipients())
        .containsExactly(
            new RecipientStatus(
                "louisl@larry.slip.umd.edu",
                "louisl@larry.slip.umd.edu",
                Action.FAILED,
                "4.0.0",
                "smtp; 426 connection timed out",
                null));
  }
}

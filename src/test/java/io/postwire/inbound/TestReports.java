package io.postwire.inbound;

/** Reports as receivers send them (RFC 3464, RFC 5965, RFC 3834), built as text for the tests. */
final class TestReports {

  private TestReports() {}

  /** An RFC 3464 report about one recipient, quoting the headers of the original message. */
  static String dsn(String to, String finalRecipient, String action, String status, String diag) {
    return String.join(
        "\r\n",
        "From: Mail Delivery System <MAILER-DAEMON@mx.remote.test>",
        "To: " + to,
        "Subject: Undelivered Mail Returned to Sender",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"",
        "",
        "--b1",
        "Content-Type: text/plain",
        "",
        "Your message could not be delivered.",
        "",
        "--b1",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.remote.test",
        "Arrival-Date: Sat, 5 Dec 2026 03:00:00 +0000",
        "",
        "Final-Recipient: rfc822; " + finalRecipient,
        "Original-Recipient: rfc822;" + finalRecipient,
        "Action: " + action,
        "Status: " + status,
        "Remote-MTA: dns; store.remote.test",
        "Diagnostic-Code: smtp; " + diag,
        "",
        "--b1",
        "Content-Type: text/rfc822-headers",
        "",
        "Subject: Hello",
        "",
        "--b1--",
        "");
  }

  /** An RFC 5965 abuse report about a message sent with envelope sender {@code mailFrom}. */
  static String arf(String to, String mailFrom, String rcptTo, String messageId) {
    return String.join(
        "\r\n",
        "From: <fbl@isp.remote.test>",
        "To: " + to,
        "Subject: FW: Hello",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=feedback-report; boundary=\"b2\"",
        "",
        "--b2",
        "Content-Type: text/plain",
        "",
        "This is an email abuse report.",
        "",
        "--b2",
        "Content-Type: message/feedback-report",
        "",
        "Feedback-Type: abuse",
        "User-Agent: SomeGenerator/1.0",
        "Version: 1",
        mailFrom == null ? "X-None: x" : "Original-Mail-From: <" + mailFrom + ">",
        "Original-Rcpt-To: <" + rcptTo + ">",
        "Arrival-Date: Sat, 5 Dec 2026 03:00:00 +0000",
        "",
        "--b2",
        "Content-Type: message/rfc822",
        "",
        "From: sender@example.com",
        "Message-ID: " + messageId,
        "Subject: Hello",
        "",
        "plain body",
        "",
        "--b2--",
        "");
  }

  /** A vacation reply (RFC 3834). */
  static String autoReply(String to, String from) {
    return String.join(
        "\r\n",
        "From: <" + from + ">",
        "To: " + to,
        "Subject: Out of office: Hello",
        "Auto-Submitted: auto-replied",
        "",
        "I am away until Monday.",
        "");
  }

  /** A bounce with no delivery-status part, as older servers send. */
  static String textBounce(String to, String recipient) {
    return String.join(
        "\r\n",
        "From: MAILER-DAEMON@old.remote.test",
        "To: " + to,
        "Subject: failure notice",
        "",
        "Hi. This is the qmail-send program at old.remote.test.",
        "I'm afraid I wasn't able to deliver your message to the following addresses.",
        "This is a permanent error; I've given up. Sorry it didn't work out.",
        "",
        "<" + recipient + ">:",
        "Remote host said: 550 5.1.1 <" + recipient + ">: Recipient address rejected: User unknown",
        "");
  }
}

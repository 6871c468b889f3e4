package io.postwire.message;

import jakarta.activation.DataHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * Renders a validated message to the exact bytes that are signed and sent: CRLF line ends, 7-bit
 * clean (quoted-printable or base64 bodies, RFC 2047 encoded words in headers), lines of at most
 * 998 octets. Jakarta Mail (Angus) does the encoding.
 *
 * <p>Structure: {@code mixed[ related[ alternative[text, html], inline… ], attachment… ]}, each
 * level present only when needed. Bcc recipients never appear in any header.
 */
@ApplicationScoped
public class MimeRenderer {

  /**
   * Jakarta Mail 2.1 resolves its {@code StreamProvider} in every {@code BodyPart} constructor and
   * in every {@code writeTo}/{@code encode}; without this property each call is a ServiceLoader
   * scan of the class path (11% of the enqueue CPU in a profile). Naming Angus's implementation
   * skips the scan; a value the operator set wins.
   */
  static final String STREAM_PROVIDER_PROPERTY = "jakarta.mail.util.StreamProvider";

  static final String ANGUS_STREAM_PROVIDER = "org.eclipse.angus.mail.util.MailStreamProvider";

  static {
    if (System.getProperty(STREAM_PROVIDER_PROPERTY) == null) {
      System.setProperty(STREAM_PROVIDER_PROPERTY, ANGUS_STREAM_PROVIDER);
    }
  }

  private final Session session;

  public MimeRenderer() {
    Properties props = new Properties();
    props.setProperty("mail.mime.allowutf8", "false");
    props.setProperty("mail.mime.charset", "UTF-8");
    props.setProperty("mail.mime.encodeparameters", "true");
    props.setProperty("mail.mime.foldtext", "true");
    this.session = Session.getInstance(props);
  }

  /** The rendered message and the Message-ID it carries. */
  public record Rendered(byte[] bytes, String messageId) {}

  public Rendered render(ValidatedMessage m, Date date) {
    try {
      String messageId = "<" + UUID.randomUUID() + "@" + m.from().domain() + ">";
      MimeMessage message = new FixedIdMessage(session, messageId);
      message.setFrom(m.from().toInternetAddress());
      if (!m.to().isEmpty()) {
        message.setRecipients(jakarta.mail.Message.RecipientType.TO, addresses(m.to()));
      }
      if (!m.cc().isEmpty()) {
        message.setRecipients(jakarta.mail.Message.RecipientType.CC, addresses(m.cc()));
      }
      if (m.replyTo() != null) {
        message.setReplyTo(new InternetAddress[] {m.replyTo().toInternetAddress()});
      }
      message.setSubject(m.subject(), "UTF-8");
      message.setSentDate(date);
      for (Map.Entry<String, String> header : m.headers().entrySet()) {
        String value = MimeUtility.encodeText(header.getValue(), "UTF-8", null);
        message.addHeader(header.getKey(), MimeUtility.fold(header.getKey().length() + 2, value));
      }
      setContent(message, m);
      message.saveChanges();
      ByteArrayOutputStream out = new ByteArrayOutputStream(estimate(m));
      message.writeTo(out);
      return new Rendered(out.toByteArray(), messageId);
    } catch (MessagingException e) {
      throw new IllegalStateException("A validated message failed to render", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void setContent(MimeMessage message, ValidatedMessage m)
      throws MessagingException {
    MimeBodyPart body = textBody(m);
    List<ValidatedMessage.Part> inline = new ArrayList<>();
    List<ValidatedMessage.Part> attached = new ArrayList<>();
    for (ValidatedMessage.Part part : m.attachments()) {
      (part.contentId() != null ? inline : attached).add(part);
    }
    if (!inline.isEmpty()) {
      MimeMultipart related = new MimeMultipart("related");
      related.addBodyPart(body);
      for (ValidatedMessage.Part part : inline) {
        related.addBodyPart(filePart(part, true));
      }
      body = wrap(related);
    }
    if (attached.isEmpty()) {
      copyInto(message, body);
      return;
    }
    MimeMultipart mixed = new MimeMultipart("mixed");
    mixed.addBodyPart(body);
    for (ValidatedMessage.Part part : attached) {
      mixed.addBodyPart(filePart(part, false));
    }
    message.setContent(mixed);
  }

  private static MimeBodyPart textBody(ValidatedMessage m) throws MessagingException {
    if (m.text() != null && m.html() != null) {
      MimeMultipart alternative = new MimeMultipart("alternative");
      alternative.addBodyPart(text(m.text(), "plain"));
      alternative.addBodyPart(text(m.html(), "html"));
      return wrap(alternative);
    }
    return m.text() != null ? text(m.text(), "plain") : text(m.html(), "html");
  }

  private static MimeBodyPart text(String content, String subtype) throws MessagingException {
    MimeBodyPart part = new MimeBodyPart();
    // normalize line ends so quoted-printable does not encode bare CRs
    part.setText(content.replace("\r\n", "\n").replace('\r', '\n'), "UTF-8", subtype);
    boolean ascii = content.chars().allMatch(c -> c < 128);
    boolean shortLines = content.lines().allMatch(l -> l.length() <= 998);
    part.setHeader("Content-Transfer-Encoding", ascii && shortLines ? "7bit" : "quoted-printable");
    return part;
  }

  private static MimeBodyPart filePart(ValidatedMessage.Part p, boolean inline)
      throws MessagingException {
    MimeBodyPart part = new MimeBodyPart();
    part.setDataHandler(new DataHandler(new ByteArrayDataSource(p.content(), p.contentType())));
    part.setFileName(p.filename());
    part.setDisposition(inline ? MimeBodyPart.INLINE : MimeBodyPart.ATTACHMENT);
    if (p.contentId() != null) {
      part.setContentID("<" + p.contentId() + ">");
    }
    part.setHeader("Content-Transfer-Encoding", "base64");
    return part;
  }

  private static MimeBodyPart wrap(MimeMultipart multipart) throws MessagingException {
    MimeBodyPart part = new MimeBodyPart();
    part.setContent(multipart);
    return part;
  }

  /** Puts a single part's content and its content headers on the message itself. */
  private static void copyInto(MimeMessage message, MimeBodyPart part) throws MessagingException {
    try {
      Object content = part.getContent();
      if (content instanceof MimeMultipart multipart) {
        message.setContent(multipart);
      } else {
        message.setContent(content, part.getContentType());
        message.setHeader("Content-Transfer-Encoding", part.getEncoding());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InternetAddress[] addresses(List<Mailbox> mailboxes) {
    return mailboxes.stream().map(Mailbox::toInternetAddress).toArray(InternetAddress[]::new);
  }

  private static int estimate(ValidatedMessage m) {
    long size = 2048;
    size += m.text() == null ? 0 : m.text().length() * 2L;
    size += m.html() == null ? 0 : m.html().length() * 2L;
    for (ValidatedMessage.Part p : m.attachments()) {
      size += p.content().length * 4L / 3;
    }
    return (int) Math.min(size, 64 * 1024 * 1024);
  }

  /** Keeps the Message-ID we chose (Jakarta Mail would replace it on saveChanges). */
  private static final class FixedIdMessage extends MimeMessage {
    private final String messageId;

    FixedIdMessage(Session session, String messageId) {
      super(session);
      this.messageId = messageId;
    }

    @Override
    protected void updateMessageID() throws MessagingException {
      setHeader("Message-ID", messageId);
    }
  }
}

package io.postwire.inbound.report;

import java.util.List;
import java.util.Locale;

/**
 * Recognizes automatic replies from their header: RFC 3834 section 5 {@code Auto-Submitted} (any
 * value but {@code no}), the de-facto {@code X-Autoreply}, {@code X-Autorespond} and {@code
 * Precedence: auto_reply} fields, and the subjects vacation responders write in common languages.
 * Only consulted once a message is known to be no bounce (bounces carry {@code Auto-Submitted:
 * auto-replied} too).
 */
final class AutoReplies {

  /** Subject phrases of vacation responders (lower case; matched anywhere in the subject). */
  private static final List<String> SUBJECTS =
      List.of(
          "out of office",
          "out of the office",
          "automatic reply",
          "auto-reply",
          "autoreply",
          "auto reply",
          "auto response",
          "autoresponse",
          "vacation reply",
          "on vacation",
          "abwesenheitsnotiz",
          "automatische antwort",
          "réponse automatique",
          "absence du bureau",
          "respuesta automática",
          "fuera de la oficina",
          "risposta automatica",
          "fuori ufficio",
          "automatisch antwoord",
          "afwezigheidsbericht",
          "resposta automática",
          "autosvar",
          "automaattinen vastaus");

  private AutoReplies() {}

  /** The auto-reply, or null when the header shows none of the markers. */
  static AutoReply detect(Headers h) {
    String reason = reason(h);
    if (reason == null) {
      return null;
    }
    return new AutoReply(Bytes.cap(reason, InboundReports.MAX_SHORT), original(h));
  }

  private static String reason(Headers h) {
    String autoSubmitted = h.first("auto-submitted");
    if (autoSubmitted != null) {
      String v = Fields.stripComments(autoSubmitted).strip().toLowerCase(Locale.ROOT);
      int semi = v.indexOf(';');
      String keyword = (semi >= 0 ? v.substring(0, semi) : v).strip();
      if (!keyword.isEmpty() && !keyword.equals("no")) {
        return "Auto-Submitted: " + keyword;
      }
    }
    for (String name : List.of("x-autoreply", "x-autorespond", "x-autoresponder")) {
      String v = h.first(name);
      if (v != null && !v.strip().equalsIgnoreCase("no")) {
        return name.equals("x-autoreply") ? "X-Autoreply" : "X-Autorespond";
      }
    }
    String precedence = h.first("precedence");
    if (precedence != null
        && Fields.stripComments(precedence).strip().equalsIgnoreCase("auto_reply")) {
      return "Precedence: auto_reply";
    }
    String subject = EncodedWords.decode(Bytes.cap(h.first("subject"), 2000));
    if (subject != null) {
      String s = subject.toLowerCase(Locale.ROOT);
      for (String phrase : SUBJECTS) {
        if (s.contains(phrase)) {
          return "Subject: " + phrase;
        }
      }
    }
    return null;
  }

  /**
   * What an auto-reply shows of the message it answers: the {@code In-Reply-To} (else the last
   * {@code References}) id, and as {@code to} the responder's own {@code From} (the address the
   * original was sent to).
   */
  private static OriginalMessage original(Headers h) {
    String id = firstId(h.first("in-reply-to"));
    if (id == null) {
      id = lastId(h.first("references"));
    }
    return new OriginalMessage(
        id, null, null, Bytes.cap(InboundReports.blankToNull(h.first("from")), 1000));
  }

  private static String firstId(String v) {
    if (v == null) {
      return null;
    }
    int lt = v.indexOf('<');
    int gt = lt < 0 ? -1 : v.indexOf('>', lt);
    return gt > lt ? Bytes.cap(v.substring(lt, gt + 1), InboundReports.MAX_SHORT) : null;
  }

  private static String lastId(String v) {
    if (v == null) {
      return null;
    }
    int lt = v.lastIndexOf('<');
    int gt = lt < 0 ? -1 : v.indexOf('>', lt);
    return gt > lt ? Bytes.cap(v.substring(lt, gt + 1), InboundReports.MAX_SHORT) : null;
  }
}

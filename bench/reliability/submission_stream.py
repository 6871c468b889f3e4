#!/usr/bin/python3
"""Streams COUNT messages to an SMTP submission port (loopback only) over SESSIONS sessions with
STARTTLS and AUTH PLAIN, and records what each message got, one line each, flushed at once:

    <i> 250 <message id>   the server said "250 2.0.0 queued as <message id>"
    <i> <code> -           the server refused it (4xx/5xx at MAIL, RCPT or the end of DATA)
    <i> broken -           the whole message was sent, the connection broke before the answer
                           (the server may have committed it: its answer was lost)
    <i> unsent -           no connection, or it broke before the end of the message

A broken session is opened again (every 0.2 s while the server is down), so a stream survives the
server's restart. Bounded: at most COUNT messages and SECONDS seconds.

Usage: submission_stream.py PORT CA_FILE KEY DOMAIN PREFIX COUNT SESSIONS SECONDS OUT_FILE
Message i: from a@DOMAIN to r<i>@example.org, subject "PREFIX-<i> ...": multi-line text with an
html alternative, non-ASCII text in one in three, a 20-100 KB PDF attachment in one in five.
"""
import random
import smtplib
import socket
import ssl
import sys
import threading
import time
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

port, cafile, key, domain, prefix = sys.argv[1:6]
count, sessions, seconds = (int(a) for a in sys.argv[6:9])
out_file = sys.argv[9]
deadline = time.monotonic() + seconds
lock = threading.Lock()
next_index = [1]
out = open(out_file, "a", buffering=1)

WORDS = ("order shipped invoice receipt account password reset welcome newsletter update "
         "schedule meeting report delivery confirmation").split()


def message(i):
    rnd = random.Random(i)
    msg = EmailMessage()
    msg["From"] = f"Shop <a@{domain}>"
    msg["To"] = f"r{i}@example.org"
    msg["Subject"] = f"{prefix}-{i} your {rnd.choice(WORDS)}"
    msg["Date"] = formatdate()
    msg["Message-ID"] = make_msgid(domain=domain)
    lines = [" ".join(rnd.choice(WORDS) for _ in range(10)) for _ in range(rnd.randint(10, 40))]
    if i % 3 == 0:
        lines[0] = "Grüße aus Köln — ünïcödé 日本語"
    msg.set_content("\n".join(lines) + "\n")
    msg.add_alternative("".join(f"<p>{l}</p>\n" for l in lines)
                        + f'<p><a href="https://{domain}/o/{i}">your order</a></p>\n', subtype="html")
    if i % 5 == 0:
        msg.add_attachment(rnd.randbytes(rnd.randint(20_000, 100_000)), maintype="application",
                           subtype="pdf", filename=f"invoice-{i}.pdf")
    return msg.as_bytes(policy=policy.SMTP)


def take():
    with lock:
        i = next_index[0]
        if i > count or time.monotonic() > deadline:
            return None
        next_index[0] += 1
        return i


def record(i, result, ident="-"):
    with lock:
        out.write(f"{i} {result} {ident}\n")


def connect():
    while time.monotonic() < deadline:
        try:
            s = smtplib.SMTP("127.0.0.1", int(port), local_hostname="stream.test", timeout=30)
            s.starttls(context=ssl.create_default_context(cafile=cafile))
            s.login("stream", key)
            return s
        except (OSError, smtplib.SMTPException):
            time.sleep(0.2)
    return None


def session():
    s = None
    i = take()
    while i is not None:
        if s is None:
            s = connect()
            if s is None:
                record(i, "unsent")
                i = take()
                continue
        data = message(i)
        sent_all = False
        try:
            code, _ = s.mail(f"a@{domain}")
            if code == 250:
                code, _ = s.rcpt(f"r{i}@example.org")
            if code in (250, 251):
                # smtplib.data sends the whole message, then reads the answer: a broken
                # connection after sendall means the message was sent and the answer lost
                code, reply = smtp_data(s, data)
                sent_all = True
                text = reply.decode("ascii", "replace")
                if code == 250 and "queued as " in text:
                    record(i, 250, text.split("queued as ", 1)[1].split()[0])
                else:
                    record(i, code)
            else:
                record(i, code)
                s.rset()
        except (OSError, smtplib.SMTPException) as e:
            record(i, "broken" if getattr(e, "sent_all", sent_all) else "unsent")
            try:
                s.close()
            except OSError:
                pass
            s = None
        i = take()
    if s is not None:
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass


def smtp_data(s, data):
    """smtplib's DATA, split so that an error after the whole message was sent is known as such."""
    code, repl = s.docmd("data")
    if code != 354:
        return code, repl
    q = smtplib._quote_periods(data)
    if q[-2:] != b"\r\n":
        q += b"\r\n"
    s.send(q + b".\r\n")
    try:
        return s.getreply()
    except (OSError, smtplib.SMTPException) as e:
        e.sent_all = True
        raise


threads = [threading.Thread(target=session) for _ in range(sessions)]
for t in threads:
    t.start()
for t in threads:
    t.join(max(1, deadline - time.monotonic() + 60))
out.close()

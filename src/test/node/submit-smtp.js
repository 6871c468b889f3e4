// Submits messages through an SMTP submission port with Nodemailer's SMTP transport: STARTTLS
// required (the server's certificate checked against the given CA file), AUTH with the given user
// name and password, one connection reused for every message.
// stdin: one JSON message a line {case, from, to, subject, text?, html?, headers, files: [{name, type, content (base64)}]}
// stdout: one JSON line per message {case, response, accepted, rejected} or {case, error}
// usage: node submit-smtp.js PORT CA_FILE USER PASSWORD
const nodemailer = require('nodemailer');
const fs = require('fs');
const readline = require('readline');

const [port, caFile, user, pass] = process.argv.slice(2);
const transport = nodemailer.createTransport({
  host: '127.0.0.1',
  port: Number(port),
  secure: false,
  requireTLS: true,
  name: 'nodemailer.test',
  tls: { ca: [fs.readFileSync(caFile)], servername: 'localhost' },
  auth: { user, pass },
  connectionTimeout: 10000,
  greetingTimeout: 10000,
  socketTimeout: 30000,
  pool: true,
  maxConnections: 1,
});

(async () => {
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const s = JSON.parse(line);
    try {
      const info = await transport.sendMail({
        from: s.from,
        to: s.to,
        subject: s.subject,
        text: s.text || undefined,
        html: s.html || undefined,
        headers: s.headers,
        attachments: (s.files || []).map(f => ({
          filename: f.name, content: Buffer.from(f.content, 'base64'), contentType: f.type })),
      });
      console.log(JSON.stringify({
        case: s.case, response: info.response, accepted: info.accepted, rejected: info.rejected }));
    } catch (e) {
      console.log(JSON.stringify({ case: s.case, error: String(e && e.message || e) }));
    }
  }
  transport.close();
})();

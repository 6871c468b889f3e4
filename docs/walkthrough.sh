#!/usr/bin/env bash
# The README's API walkthrough ("## The API"), top to bottom, against a running Postwire.
#
#   ./mvnw quarkus:dev            # in another terminal: the dev profile on port 8080
#   bash docs/walkthrough.sh      # BASE and KEY default to the dev service and its dev key
#
# Needs bash, curl, base64 and python3 (for reading JSON answers). Every call states the HTTP
# status it expects; another status stops the script with exit code 1 and the answer. The script
# works on its own domain, walkthrough.example.com, which it removes at the end (and at the start,
# should an earlier run have stopped half-way), so it can run again and again.
set -euo pipefail

BASE=${BASE:-http://localhost:8080}
KEY=${KEY:-pw_dev_bootstrap_key_do_not_use_in_production}
JSON='Content-Type: application/json'
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
RUN=$(date +%s)

# api STATUS METHOD PATH [curl options…]: calls the API with the key, keeps the status in $STATUS
# and the answer in $BODY, and stops the script unless the status is STATUS (or one of "STATUS …").
api() {
  local expected=$1 method=$2 path=$3
  shift 3
  STATUS=$(curl -sS --noproxy '*' -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' \
    -X "$method" "$BASE$path" -H "Authorization: Bearer $KEY" "$@") \
    || { echo "curl could not reach $BASE$path" >&2; exit 1; }
  BODY=$(cat "$WORK/body")
  echo "$method $path → $STATUS"
  if [[ " $expected " != *" $STATUS "* ]]; then
    echo "expected $expected, got $STATUS: $BODY" >&2
    exit 1
  fi
}

# header NAME: a header of the last answer
header() {
  grep -i "^$1:" "$WORK/headers" | tail -n 1 | cut -d: -f2- | tr -d ' \r'
}

# json PATH: a field of $BODY, such as id, dkimKeys.0.selector or items.0.address
json() {
  python3 -c 'import json, sys
value = json.loads(sys.argv[2])
for step in sys.argv[1].split("."):
    value = value[int(step)] if isinstance(value, list) else value[step]
print(value if not isinstance(value, (dict, list)) else json.dumps(value))' "$1" "$BODY"
}

# expect WHAT ACTUAL WANTED: stops the script when a field of an answer is not what it should be
expect() {
  if [[ "$2" != "$3" ]]; then
    echo "$1: expected $3, got $2 in $BODY" >&2
    exit 1
  fi
}

api "204 404" DELETE /v1/domains/walkthrough.example.com   # left over from an interrupted run

# ---- Domains ------------------------------------------------------------------------------------

# Register a sending domain (admin) and generate its DKIM keys: rsa-sha256 (the default, 2048-bit),
# ed25519-sha256, or both (dual signing). → 201 + Location, the domain with the DNS records to publish
api 201 POST /v1/domains -H "$JSON" \
  -d '{"name":"walkthrough.example.com","dkim":{"algorithms":["rsa-sha256","ed25519-sha256"]}}'
SELECTOR=$(json dkimKeys.0.selector)
expect "the first key" "$(json dkimKeys.0.status)" active

# List the domains, show one (dkimKeys, dnsRecords to publish, the latest audit)
api 200 GET "/v1/domains?limit=50"
api 200 GET /v1/domains/walkthrough.example.com
expect "the domain" "$(json name)" walkthrough.example.com

# Rotate a DKIM key (admin): a new selector in state "pending" that starts signing once the audit
# sees it published (or at once with "activate":true); the key it replaces becomes "retired"
api 201 POST /v1/domains/walkthrough.example.com/dkim-keys -H "$JSON" -d '{"algorithm":"rsa-sha256"}'
expect "a rotated key" "$(json status)" pending
api 201 POST /v1/domains/walkthrough.example.com/dkim-keys -H "$JSON" \
  -d '{"algorithm":"ed25519-sha256","activate":true}'
expect "an activated key" "$(json status)" active
[[ "$(json selector)" != "$SELECTOR" ]] || { echo "rotation kept the selector" >&2; exit 1; }

# The latest DNS audit (404 until the first one has finished), then an audit now: 429 when the
# domain was audited moments ago (postwire.audit.manual-interval), with Retry-After in seconds
api "200 404" GET /v1/domains/walkthrough.example.com/audit
api "200 429" POST /v1/domains/walkthrough.example.com/audit
if [[ $STATUS == 429 ]]; then
  sleep "$(header Retry-After)"
  api 200 POST /v1/domains/walkthrough.example.com/audit
fi
expect "the audit's domain" "$(json domain)" walkthrough.example.com

# ---- Messages -----------------------------------------------------------------------------------

# Send → 202 {"id","status":"queued","createdAt","recipients":[{"address","status":"queued|suppressed"}]}
printf 'Invoice 4711\nTotal: 42.00 EUR\n' >"$WORK/invoice.txt"
SEND='{"from":"Shop <orders@walkthrough.example.com>","to":["Bob <bob@example.org>"],"cc":[],"bcc":[],
  "replyTo":"support@walkthrough.example.com","subject":"Your order 4711","text":"Thanks!","html":"<p>Thanks!</p>",
  "headers":{"X-Campaign":"orders"},
  "attachments":[{"filename":"invoice.txt","contentType":"text/plain","content":"'"$(base64 -w0 "$WORK/invoice.txt")"'"}],
  "tags":["orders"],"metadata":{"orderId":"4711"},"sendAt":null,"expiresAt":null}'
api 202 POST /v1/messages -H "$JSON" -H "Idempotency-Key: order-4711-$RUN" -d "$SEND"
ID=$(json id)
expect "a new message" "$(json status)" queued

# The same Idempotency-Key with the same body: the first answer again, no second message
api 202 POST /v1/messages -H "$JSON" -H "Idempotency-Key: order-4711-$RUN" -d "$SEND"
expect "the replayed message" "$(json id)" "$ID"

# A batch of up to 500 messages → 200, one result per item, in order:
# {"index","id","status":"queued","recipients"} or {"index","status":"rejected","error":{problem}}
api 200 POST /v1/messages/batch -H "$JSON" \
  -d '[{"from":"news@walkthrough.example.com","to":["ann@example.org"],"subject":"Hi Ann","text":"Hello Ann"},
       {"from":"news@walkthrough.example.com","to":["ben@example.org"],"subject":"Hi Ben"}]'
expect "the first item" "$(json 0.status)" queued
expect "the second item (no text, no html)" "$(json 1.error.code)" no_content

# A message you built yourself (base64 RFC 5322); it is DKIM-signed for its From domain → 202
RAW=$(printf 'From: alice@walkthrough.example.com\r\nTo: bob@example.org\r\nSubject: Raw\r\n\r\nHello\r\n' | base64 -w0)
api 202 POST /v1/messages/raw -H "$JSON" \
  -d '{"mailFrom":"bounce@walkthrough.example.com","rcptTo":["bob@example.org"],"raw":"'"$RAW"'"}'

# One message with its recipients and events; in the dev profile's sandbox mode it is "delivered"
# within seconds (signed and recorded, no connection made)
for _ in $(seq 60); do
  api 200 GET "/v1/messages/$ID"
  [[ "$(json status)" == delivered ]] && break
  sleep 0.5
done
expect "the message" "$(json status)" delivered

# The message as sent (message/rfc822: its DKIM signature and content; as rendered until signed);
# 404 once postwire.retention.content has purged it
api 200 GET "/v1/messages/$ID/raw"
expect "the raw message's subject" "$(grep -m1 '^Subject:' <<<"$BODY" | tr -d '\r')" "Subject: Your order 4711"

# A page of messages (newest first)
api 200 GET "/v1/messages?status=delivered&recipient=bob@example.org&limit=20"

# Cancel the recipients not yet delivered (they become "failed" with a "cancelled" event) → 200;
# here a message held until an hour from now
SEND_AT=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
api 202 POST /v1/messages -H "$JSON" \
  -d '{"from":"orders@walkthrough.example.com","to":["bob@example.org"],"subject":"Later","text":"Later","sendAt":"'"$SEND_AT"'"}'
LATER=$(json id)
api 200 DELETE "/v1/messages/$LATER"
expect "the cancelled recipient" "$(json recipients.0.status)" failed

# ---- API keys (admin) ---------------------------------------------------------------------------

# → 201 {"id","name","admin","domains","key","createdAt"}; the key is shown this once
api 201 POST /v1/api-keys -H "$JSON" -d '{"name":"billing-service","domains":["walkthrough.example.com"]}'
KEY_ID=$(json id)
api 201 POST /v1/api-keys -H "$JSON" -d '{"name":"ops","admin":true}'
OPS_KEY_ID=$(json id)
api 200 GET /v1/api-keys                                   # never the secret
api 204 DELETE "/v1/api-keys/$KEY_ID"
api 204 DELETE "/v1/api-keys/$OPS_KEY_ID"

# ---- Suppressions -------------------------------------------------------------------------------

# Add or replace an entry (admin) → 200; reason: manual | hard_bounce | complaint | unsubscribe;
# "domain" omitted or null: every domain
api 200 PUT /v1/suppressions/carol@example.org -H "$JSON" \
  -d '{"reason":"unsubscribe","domain":"walkthrough.example.com"}'
# A page of entries, optionally for one domain and/or one address
api 200 GET "/v1/suppressions?limit=100&domain=walkthrough.example.com&address=carol@example.org"
expect "the entry" "$(json items.0.reason)" unsubscribe
# The entries of one address the key may see → 200 {"items":[…]}, 404 when there are none
api 200 GET /v1/suppressions/carol@example.org
# A send to a suppressed address only: 422 recipient_suppressed
api 422 POST /v1/messages -H "$JSON" \
  -d '{"from":"orders@walkthrough.example.com","to":["carol@example.org"],"subject":"Hi","text":"Hi"}'
expect "the refusal" "$(json code)" recipient_suppressed
# Remove one domain's entry, or without ?domain= the global one (admin) → 204, 404 when absent
api 204 DELETE "/v1/suppressions/carol@example.org?domain=walkthrough.example.com"

# ---- Tools --------------------------------------------------------------------------------------

# RFC 7208 check_host() with the evaluator the audit uses
# → {"result":"pass|fail|softfail|neutral|none|temperror|permerror","explanation","lookups"}
api 200 POST /v1/tools/spf -H "$JSON" \
  -d '{"ip":"192.0.2.10","sender":"bounce@walkthrough.example.com","helo":"mta.example.com"}'

# ---- Health, metrics, OpenAPI (no key needed; one port in dev and test) -------------------------

api 200 GET /q/health/live                  # the process and its event loop answer
api 200 GET /q/health/ready                 # the database answers and the delivery pipeline runs
api 200 GET /q/health/started               # start-up (migrations included) has finished
api "200 503" GET /q/health/group/dns-auth  # 503 (DOWN) when any domain's latest audit is "fail"
api "200 503" GET /q/health/well            # data: {"walkthrough.example.com":"fail",…}
api 200 GET /q/metrics                      # Prometheus
api 200 GET "/q/openapi?format=json"        # OpenAPI (YAML without ?format=json); UI at /q/swagger-ui

# ---- Clean up -----------------------------------------------------------------------------------

# Remove the domain (admin) → 204: its queued mail fails, it leaves every API key's scope, and its
# messages stay readable to admin keys only
api 204 DELETE /v1/domains/walkthrough.example.com
api 404 GET /v1/domains/walkthrough.example.com

echo "walkthrough finished: every call answered as documented"

-- wrk script: POST /v1/messages or, with BATCH=n in the environment, POST /v1/messages/batch
-- with n messages per request. With BODIES=<file> the request bodies are that file's lines, sent
-- in turn (bench/LoadClient.java bodies <file> <n>: the load client's realistic messages);
-- without it every request carries the same 1 KB one-line message(s). Counts non-2xx answers.
local batch = tonumber(os.getenv("BATCH") or "1")
local key = os.getenv("POSTWIRE_KEY")
local text = string.rep("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 16)
local one = '{"from":"Bench <bench@bench.test>","to":["rcpt@sink.test"],' ..
  '"subject":"Postwire benchmark message","text":"' .. text .. '"}'
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/json"
if batch > 1 then
  local items = {}
  for i = 1, batch do items[i] = one end
  wrk.path = "/v1/messages/batch"
  wrk.body = "[" .. table.concat(items, ",") .. "]"
else
  wrk.path = "/v1/messages"
  wrk.body = one
end
local bodies = {}
if os.getenv("BODIES") then
  for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
end
if #bodies > 0 then
  local n = 0
  function request()
    n = n % #bodies + 1
    return wrk.format(nil, nil, nil, bodies[n])
  end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local secs = summary.duration / 1e6
  local okreq = summary.requests - b
  io.write(string.format("wrk: requests=%d non2xx=%d errors=%d req/s=%.0f msg/s=%.0f p50=%.1fms p99=%.1fms\n",
    summary.requests, b, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.requests / secs, okreq * batch / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

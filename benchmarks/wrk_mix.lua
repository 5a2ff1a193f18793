-- The route mix of `make load` against the demo (examples/demo): each wrk thread cycles
-- through these requests in turn. done() prints one JSON line (prefixed RESULT) that
-- benchmarks/load.py parses.

local boundary = "load-boundary"
local upload_body = table.concat({
  "--" .. boundary,
  'Content-Disposition: form-data; name="note"',
  "",
  "uploaded by wrk",
  "--" .. boundary,
  'Content-Disposition: form-data; name="file"; filename="notes.txt"',
  "Content-Type: text/plain",
  "",
  string.rep("wrk upload line\n", 64),
  "--" .. boundary .. "--",
  "",
}, "\r\n")
local requests = nil
local counter = 0

-- Built once per thread in init(): at load time wrk.headers has no Host yet, which
-- HTTP/1.1 servers reject.
init = function(args)
  requests = {
    wrk.format("GET", "/"),
    wrk.format("GET", "/api/items?limit=5"),
    wrk.format("GET", "/static/app.css"),
    wrk.format("GET", "/api/items/7?quantity=3"),
    wrk.format("POST", "/api/echo", {["Content-Type"] = "application/json"},
      '{"text": "hello", "tags": ["a", "b"], "n": 3}'),
    wrk.format("GET", "/chat"),
    wrk.format("GET", "/static/chat.js"),
    wrk.format("POST", "/login", {["Content-Type"] = "application/x-www-form-urlencoded"},
      "username=alice&password=wonderland"),
    wrk.format("GET", "/api/stats"),
    wrk.format("POST", "/upload",
      {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, upload_body),
    wrk.format("GET", "/login"),
  }
end

request = function()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end

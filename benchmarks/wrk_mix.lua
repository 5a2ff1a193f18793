-- The route mix of `make load`: each connection cycles through these requests in turn.
-- done() prints one JSON line (prefixed RESULT) that benchmarks/load.py parses.

local form_body = "name=starlette&kind=load&note=hello+world"
local form_headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
local requests = nil
local counter = 0

-- Built once per thread in init(): at load time wrk.headers has no Host yet, which
-- HTTP/1.1 servers reject.
-- Paths given after `--` on wrk's command line replace the mix with GETs of those paths.
init = function(args)
  if #args > 0 then
    requests = {}
    for _, path in ipairs(args) do
      table.insert(requests, wrk.format("GET", path))
    end
    return
  end
  requests = {
    wrk.format("GET", "/plain"),
    wrk.format("GET", "/items/42?q=search&tag=a&tag=b"),
    wrk.format("GET", "/plain"),
    wrk.format("POST", "/form", form_headers, form_body),
    wrk.format("GET", "/items/7"),
    wrk.format("GET", "/stream"),
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

-- wrk script for bench.ingest: POST each line of a file "<Stripe-Signature>\t<JSON body>".
-- Usage: wrk -t1 -c32 -d5s -s bench/wrk_post.lua http://127.0.0.1:PORT/webhooks/stripe -- FILE
-- Each line is sent once; past the last line it starts over (the result tells how many were
-- sent, so bench.ingest can see that it ran out). done() prints one JSON object.

local requests = {}
local count = 0
local index = 0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  for line in file:lines() do
    local tab = line:find("\t", 1, true)
    if tab then
      count = count + 1
      requests[count] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["Stripe-Signature"] = line:sub(1, tab - 1),
      }, line:sub(tab + 1))
    end
  end
  file:close()
end

function request()
  index = index + 1
  if index > count then
    index = 1
  end
  return requests[index]
end

function done(summary, latency, requests_stats)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end

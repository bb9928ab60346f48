-- wrk script for the bench (bench/loadgen.py writes its input): cycles through a file of
-- POST requests, one a line, "path<TAB>authorization<TAB>json body"; counts as an error
-- any answer that is not 200 or carries `errors` or a non-empty `userErrors`; prints one
-- "BENCH {json}" summary line.
--   wrk -t1 -c32 -d10s -s bench/wrk_requests.lua http://127.0.0.1:PORT -- requests.tsv

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  counter = 0
  errors = 0
  local file = assert(io.open(args[1], "rb"))
  for line in file:lines() do
    local path, auth, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if path then
      local headers = { ["Content-Type"] = "application/json" }
      if auth ~= "" then
        headers["Authorization"] = auth
      end
      table.insert(requests, wrk.format("POST", path, headers, body))
    end
  end
  file:close()
end

function request()
  counter = counter + 1
  return requests[(counter - 1) % #requests + 1]
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) or body:find('"userErrors":[{', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local errs = 0
  for _, thread in ipairs(threads) do
    errs = errs + thread:get("errors")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"errors":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, errs, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end

-- wrk script: POST the benchmark payload with a secret, as the Hub would, and count every answer
-- whose status is not the expected one (wrk itself only counts non-2xx).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Webhook-Secret"] = os.getenv("BENCH_SECRET")
local file = io.open(os.getenv("BENCH_PAYLOAD"), "rb")
wrk.body = file:read("*a")
file:close()

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(os.getenv("BENCH_EXPECT") or "200")
  unexpected = 0
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  io.write(string.format("unexpected-status: %d\n", total))
end

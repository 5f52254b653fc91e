-- wrk script: POSTs collections of 10 telemetry payloads of about 240 bytes each, varied across
-- requests: 1,000 distinct requests per thread, formatted whole (request line, headers, body)
-- before the load, so that wrk spends no CPU building them on the cores it shares with the
-- service (what formatting each request as it went cost wrk: BENCHMARKS.md).
local counter = 0
local requests = {}
local events = { "scan", "heartbeat", "update", "detection", "quarantine" }
local oses = { "windows-10", "windows-11", "macos-14", "ubuntu-24.04" }

-- BENCH_PARTITIONS=N adds a field "part" with N values (p1..pN), for PARTITION_BY=part.
local partitions = tonumber(os.getenv("BENCH_PARTITIONS") or "")

local function payload(thread, n, i)
  local part = partitions and string.format('"part":"p%d",', math.random(partitions)) or ""
  return "{" .. part .. string.format(
    '"id":"%d-%d-%d","ts":%d,"host":"host-%05d","os":"%s","agent":"4.%d.%d","event":"%s",' ..
    '"cpu":%.3f,"mem":%d,"ok":%s,"threats":%d,"sig":"%08x%08x","path":"C:\\\\Program Files\\\\Agent\\\\%d.dat"}',
    thread, n, i, 1700000000000 + math.random(0, 99999999), math.random(0, 99999), oses[math.random(#oses)],
    math.random(0, 20), math.random(0, 99), events[math.random(#events)], math.random(), math.random(0, 16000000000),
    math.random() > 0.1 and "true" or "false", math.random(0, 5), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff),
    math.random(0, 99999))
end

local thread_id = 0
function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
end

function init(args)
  math.randomseed(id or 1)
  -- wrk.headers holds the command line's -H headers (the churn group's `Connection: close`).
  wrk.headers["Content-Type"] = "application/json"
  for n = 1, 1000 do
    local parts = {}
    for i = 1, 10 do parts[i] = payload(id or 1, n, i) end
    local body = '{"version":"1.0","token":"bench-token","data":[' .. table.concat(parts, ",") .. "]}"
    requests[n] = wrk.format("POST", nil, nil, body)
  end
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

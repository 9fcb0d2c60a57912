-- wrk script for bench/status_page.py: a plain GET of the status page (no validators, so every answer
-- is the full page). Argument after `--`: "check" (the warm-up) reads every answer and counts as bad
-- those that are not 200 with a body. done() prints one line "BENCH_JSON {...}" for bench/common.py.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad, bad_sample = 0, ""
  if args[1] == "check" then
    response = check_response -- only when checking: parsing every answer costs wrk CPU
  end
end

function check_response(status, headers, body)
  if status ~= 200 or body == nil or #body < 1000 then
    bad = bad + 1
    if bad_sample == "" then
      bad_sample = string.sub(status .. " " .. (body or ""), 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local bad_total, sample = 0, ""
  for _, thread in ipairs(threads) do
    bad_total = bad_total + (thread:get("bad") or 0)
    if sample == "" then
      sample = thread:get("bad_sample") or ""
    end
  end
  sample = string.gsub(sample, '[%c"\\]', " ")
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
      .. '"p50_us":%d,"p99_us":%d,"max_us":%d,"bad":%d,"bad_sample":"%s"}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, bad_total, sample
  ))
end

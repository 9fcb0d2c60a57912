-- wrk script for bench/intake.py: every request carries new alerts (distinct fingerprint / labels).
-- Arguments after `--`: <shape> <run number> <alerts per request> <token> [check]
--   shape: am   Alertmanager webhook v4 (PROTOCOLS.md section 1) to EventGuard, Bearer token
--          pd   PagerDuty Events v2 trigger (section 3) to EventGuard, routing_key = token
--          ref  Alertmanager's own API POST /api/v2/alerts (section 1b), a JSON array of postableAlerts
-- alertname cycles over 20 names, so alerts keep joining the same ~20 groups (incidents), as in a storm.
-- With "check" (the warm-up), every answer's body is read: a 2xx whose body is not the expected
-- acceptance counts as bad. done() prints one line "BENCH_JSON {...}" that bench/common.py reads.

local NAMES = {
  "HLSPlaylistStale", "TranscoderHeartbeatMissing", "StreamBitrateLow", "StreamBufferingHigh",
  "DataExfiltrationSuspected", "UnauthorizedAdminAccess", "DDoSDetected", "AbnormalLoginSpike",
  "ChatSpamFlood", "PublicOpinionCrisis", "ComplaintSurge", "PaymentGatewayDown", "PaymentErrorRate",
  "PaymentSingleOrderFailed", "LoginProbeFailed", "LoginErrorRateHigh", "LoginFailed", "TrafficPeak",
  "NodeDiskFull", "NodeHighCPU",
}
local AM_SEVERITIES = { "critical", "warning", "info" }
local PD_SEVERITIES = { "critical", "error", "warning", "info" }
local EVENT = "cloud-summit-2026"

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  shape = args[1]
  run = tonumber(args[2])
  per_request = tonumber(args[3])
  token = args[4]
  counter = 0
  tid = tid or 0
  headers = { ["Content-Type"] = "application/json" }
  bad, bad_sample = 0, ""
  if args[5] == "check" then
    -- Defined only when checking: with a response() wrk parses every answer, which costs it CPU.
    response = check_response
  end
  if shape == "am" then
    headers["Authorization"] = "Bearer " .. token
    headers["User-Agent"] = "Alertmanager/0.25.0"
  end
end

local function now_rfc3339()
  return os.date("!%Y-%m-%dT%H:%M:%S.000Z")
end

-- The labels of alert i (1-based) of request n, as a JSON object, and its fingerprint.
local function labels_of(name, severity, n, i)
  local instance = string.format("edge-%d-%d-%d-%d:9100", run, tid, n, i)
  local labels = string.format(
    '{"alertname":"%s","event":"%s","instance":"%s","job":"edge","severity":"%s"}',
    name, EVENT, instance, severity
  )
  local fingerprint = string.format("%04x%02x%010x", run % 65536, tid % 256, n * per_request + i)
  return labels, instance, fingerprint
end

local function alertmanager_webhook(n, name, severity, starts)
  local alerts = {}
  for i = 1, per_request do
    local labels, instance, fingerprint = labels_of(name, severity, n, i)
    alerts[i] = string.format(
      '{"status":"firing","labels":%s,"annotations":{"summary":"%s on %s","runbook_url":"https://runbooks.example.com/%s"},'
        .. '"startsAt":"%s","endsAt":"0001-01-01T00:00:00Z",'
        .. '"generatorURL":"http://prometheus.example.com:9090/graph?g0.expr=up+%%3D%%3D+0","fingerprint":"%s"}',
      labels, name, instance, name, starts, fingerprint
    )
  end
  local common
  if per_request == 1 then
    common = string.match(alerts[1], '"labels":(%b{})')
  else
    common = string.format('{"alertname":"%s","event":"%s","job":"edge","severity":"%s"}', name, EVENT, severity)
  end
  return string.format(
    '{"receiver":"eventguard","status":"firing","alerts":[%s],'
      .. '"groupLabels":{"alertname":"%s"},"commonLabels":%s,"commonAnnotations":{},'
      .. '"externalURL":"http://alertmanager.example.com:9093","version":"4",'
      .. '"notification_reason":"first notification",'
      .. '"groupKey":"{}:{alertname=\\"%s\\"}","truncatedAlerts":0}\n',
    table.concat(alerts, ","), name, common, name
  )
end

local function pagerduty_trigger(n, name, severity, starts)
  local source = string.format("edge-%d-%d-%d.example.com", run, tid, n)
  return string.format(
    '{"routing_key":"%s","event_action":"trigger","dedup_key":"bench/%d/%d/%d",'
      .. '"payload":{"summary":"%s on %s","source":"%s","severity":"%s","timestamp":"%s",'
      .. '"component":"edge","group":"%s","class":"%s"}}',
    token, run, tid, n, name, source, source, severity, starts, EVENT, name
  )
end

local function alertmanager_api(n, name, severity, starts)
  local alerts = {}
  for i = 1, per_request do
    local labels, instance = labels_of(name, severity, n, i)
    alerts[i] = string.format(
      '{"labels":%s,"annotations":{"summary":"%s on %s"},"startsAt":"%s",'
        .. '"generatorURL":"http://prometheus.example.com:9090/graph?g0.expr=up+%%3D%%3D+0"}',
      labels, name, instance, starts
    )
  end
  return "[" .. table.concat(alerts, ",") .. "]"
end

function request()
  counter = counter + 1
  local name = NAMES[counter % #NAMES + 1]
  local starts = now_rfc3339()
  local body
  if shape == "am" then
    body = alertmanager_webhook(counter, name, AM_SEVERITIES[counter % 3 + 1], starts)
  elseif shape == "pd" then
    body = pagerduty_trigger(counter, name, PD_SEVERITIES[counter % 4 + 1], starts)
  else
    body = alertmanager_api(counter, name, AM_SEVERITIES[counter % 3 + 1], starts)
  end
  return wrk.format("POST", nil, headers, body)
end

local EXPECTED = { am = '"status":"accepted"', pd = '"status":"success"' }

function check_response(status, headers, body)
  local expected = EXPECTED[shape]
  local good = status >= 200 and status < 300 and (expected == nil or string.find(body, expected, 1, true))
  if not good then
    bad = bad + 1
    if bad_sample == "" then
      bad_sample = string.sub(status .. " " .. (body or ""), 1, 300)
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

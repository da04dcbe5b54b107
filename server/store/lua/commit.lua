#!lua
-- KEYS: meta, els, tombs, log, turn, pushes, pushz. ARGV: mode ("new"|"commit"), deadline ms
-- (Redis time, 0 = none), base clock, channel, message prefix, maxlen, origin,
-- turn ms, n meta pairs, pairs..., n changes, then per change: clock, record,
-- n puts, (id, blob)..., n dels, id..., n tombstones, (id, blob)..., n untombs, id...,
-- n pushes, (key, blob)... (remembered with the change: a re-sent push is never
-- applied twice; the oldest beyond maxlen clocks are forgotten).
-- Every check comes before the first write: a Lua error would not roll back.
-- Fairness: a process that loses a race for the head of the log gets the next
-- turn (``turn`` key, a few ms); others are told to ``wait`` until it is used.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[2]) > 0 and now > tonumber(ARGV[2]) then return {'late', now} end
local meta, els, tombs, log, turn = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local pushes, pushz = KEYS[6], KEYS[7]
local base, origin, nmeta = tonumber(ARGV[3]), ARGV[7], tonumber(ARGV[9])
local i = 10
local first, record1 = ARGV[i + 2 * nmeta + 1], ARGV[i + 2 * nmeta + 2]
if ARGV[1] == 'new' then
  if redis.call('EXISTS', meta, log) > 0 then return {'exists'} end
else
  local stored = redis.call('HGET', meta, 'clock')
  if not stored then return {'missing'} end
  stored = tonumber(stored)
  if stored ~= base then
    local missed = {'conflict', stored}
    if stored > base then
      local entry = redis.call('XRANGE', log, first .. '-0', first .. '-0')
      if entry[1] and entry[1][2][2] == record1 then return {'dup'} end -- a retry
      redis.call('SET', turn, origin, 'PX', ARGV[8], 'NX')
      if stored - base <= 64 then -- what it missed: its catch-up needs no round trip
        for _, e in ipairs(redis.call('XRANGE', log, (base + 1) .. '-0', '+', 'COUNT', 64)) do
          missed[#missed + 1] = e[2][2]
        end
      end
    end
    return missed
  end
  local holder = redis.call('GET', turn)
  if holder and holder ~= origin then return {'wait', redis.call('PTTL', turn)} end
  local top = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)
  if top[1] and tonumber(string.match(top[1][1], '^(%d+)')) >= tonumber(first) then
    return {'broken', top[1][1]}
  end
  if holder then redis.call('DEL', turn) end
end
for _ = 1, nmeta do redis.call('HSET', meta, ARGV[i], ARGV[i + 1]); i = i + 2 end
local channel, prefix, maxlen = ARGV[4], ARGV[5], ARGV[6]
local n = tonumber(ARGV[i]); i = i + 1
local last = base
for _ = 1, n do
  local clock, record = ARGV[i], ARGV[i + 1]; i = i + 2
  local k = tonumber(ARGV[i]); i = i + 1
  for _ = 1, k do redis.call('HSET', els, ARGV[i], ARGV[i + 1]); i = i + 2 end
  k = tonumber(ARGV[i]); i = i + 1
  for _ = 1, k do redis.call('HDEL', els, ARGV[i]); i = i + 1 end
  k = tonumber(ARGV[i]); i = i + 1
  for _ = 1, k do redis.call('HSET', tombs, ARGV[i], ARGV[i + 1]); i = i + 2 end
  k = tonumber(ARGV[i]); i = i + 1
  for _ = 1, k do redis.call('HDEL', tombs, ARGV[i]); i = i + 1 end
  k = tonumber(ARGV[i]); i = i + 1
  for _ = 1, k do
    redis.call('HSET', pushes, ARGV[i], ARGV[i + 1])
    redis.call('ZADD', pushz, clock, ARGV[i]); i = i + 2
  end
  redis.call('XADD', log, 'MAXLEN', '~', maxlen, clock .. '-0', 'r', record)
  redis.call('SPUBLISH', channel,
             string.char(string.byte(record, 1) + 1) .. prefix .. string.sub(record, 2))
  last = clock
end
if n > 0 then
  redis.call('HSET', meta, 'clock', last, 'active', now)
  local old = redis.call('ZRANGEBYSCORE', pushz, '-inf', last - tonumber(maxlen), 'LIMIT', 0, 64)
  if #old > 0 then
    redis.call('HDEL', pushes, unpack(old))
    redis.call('ZREM', pushz, unpack(old))
  end
end
return {'ok', last}

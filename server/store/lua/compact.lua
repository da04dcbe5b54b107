#!lua
-- KEYS: meta, tombs, log. ARGV: floor, (id, blob)... : drop tombstones that are
-- still what load() saw, raise the floor, trim the log up to it.
for i = 2, #ARGV, 2 do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[2], ARGV[i])
  end
end
local floor = tonumber(ARGV[1])
if floor > tonumber(redis.call('HGET', KEYS[1], 'floor') or '0') then
  redis.call('HSET', KEYS[1], 'floor', ARGV[1])
  redis.call('XTRIM', KEYS[3], 'MINID', (ARGV[1] + 1) .. '-0')
end
return 0

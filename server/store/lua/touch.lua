#!lua
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local was = tonumber(redis.call('HGET', KEYS[1], 'active') or '0')
if tonumber(ARGV[1]) > was then redis.call('HSET', KEYS[1], 'active', ARGV[1]) end
return 1

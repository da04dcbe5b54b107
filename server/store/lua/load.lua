#!lua flags=no-writes
-- Consistent reads without MULTI (which a full Redis refuses even for reads).
local m = redis.call('HMGET', KEYS[1], 'clock', 'floor')
return {m[1], m[2], redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]),
        redis.call('HGETALL', KEYS[4])}

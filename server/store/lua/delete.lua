#!lua
-- KEYS: the board's meta first, then every other key of the board (one slot).
local existed = redis.call('EXISTS', KEYS[1])
redis.call('DEL', unpack(KEYS))
return existed

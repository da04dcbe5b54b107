#!lua flags=no-writes
return {redis.call('HGET', KEYS[1], 'clock'), redis.call('XRANGE', KEYS[2], ARGV[1], '+')}

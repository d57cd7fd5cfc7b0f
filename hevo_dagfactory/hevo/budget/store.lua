-- The shared rate budget of one Hevo user, run atomically by Redis (hevo_dagfactory/hevo/budget/store.py).
-- Every time is the Redis server's clock in milliseconds, so the processes' clocks never matter.
--
-- KEYS: 1 inflight (zset token -> lease end), 2 answered (zset token -> when its token frees),
--       3 pause (string: paused until), 4 seen (zset participant -> last call), 5 grants (hash participant ->
--       fallback share), 6 epoch (string: names this store's memory; changes only when the store lost it)
-- ARGV: 1 op (ask | probe | release), 2 participant, 3 limit, 4 span ms, 5 lease ms, 6 token, 7 belief
--       (the share the participant currently believes it has), 8 participant ttl ms, 9 epoch candidate,
--       10 pause ms, 11 the epoch the participant knows ('' if none)
-- Reply: {admitted 0/1, wait ms, share granted (-1 for release), epoch, participants}
if redis.replicate_commands then pcall(redis.replicate_commands) end

local inflight, answered, pause_key, seen, grants, epoch_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local op, pid = ARGV[1], ARGV[2]
local limit, span, lease = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local token, belief, ttl = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local pause_ms = tonumber(ARGV[10])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local keep = span + lease + ttl -- every key outlives the entries in it, then goes away when unused

redis.call('SET', epoch_key, ARGV[9], 'NX') -- never expires: a new epoch means the data was lost
local epoch = redis.call('GET', epoch_key)
redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now)
redis.call('ZREMRANGEBYSCORE', answered, '-inf', now)

if op == 'release' then
  -- the answer is in: the token frees one span from now (kept even if its lease ran out or the store
  -- restarted meanwhile: Hevo counted the request all the same)
  if token ~= '' then
    redis.call('ZREM', inflight, token)
    redis.call('ZADD', answered, now + span, token)
    redis.call('PEXPIRE', answered, keep)
  end
  if pause_ms > 0 then -- a rate-limit refusal: nobody sends until it is over
    if now + pause_ms > tonumber(redis.call('GET', pause_key) or '0') then
      redis.call('SET', pause_key, now + pause_ms, 'PX', pause_ms)
    end
  end
  redis.call('ZADD', seen, 'XX', now, pid)
  return {0, 0, -1, epoch, 0}
end

-- Fallback shares: each live participant's share of the limit for when the store is gone. A share is
-- never more than what the others leave, and the participant's own belief stays counted until it has
-- heard the new one, so the shares any processes may use at one time add up to at most the limit.
local cutoff = now - ttl
for _, m in ipairs(redis.call('ZRANGEBYSCORE', seen, '-inf', cutoff)) do
  redis.call('HDEL', grants, m)
end
redis.call('ZREMRANGEBYSCORE', seen, '-inf', cutoff)
redis.call('ZADD', seen, now, pid)
local n = redis.call('ZCARD', seen)
local others = 0
local all = redis.call('HGETALL', grants)
for i = 1, #all, 2 do
  if all[i] ~= pid then others = others + tonumber(all[i + 1]) end
end
local share = math.max(0, math.min(math.floor(limit / n), limit - others))
redis.call('HSET', grants, pid, math.max(share, belief))
redis.call('PEXPIRE', seen, keep)
redis.call('PEXPIRE', grants, keep)

if op == 'probe' or (ARGV[11] ~= '' and ARGV[11] ~= epoch) then
  -- a participant that knew another epoch admits nothing now: what the store forgot still counts at Hevo
  return {0, 0, share, epoch, n}
end

local paused = tonumber(redis.call('GET', pause_key) or '0')
if paused > now then
  return {0, paused - now, share, epoch, n}
end
local held = redis.call('ZCARD', inflight) + redis.call('ZCARD', answered)
if held < limit then
  redis.call('ZADD', inflight, now + span + lease, token)
  redis.call('PEXPIRE', inflight, keep)
  return {1, 0, share, epoch, n}
end
-- full: wait until enough tokens free for one more. Answered ones free at known times, all before any
-- request still in flight can (that one frees at the earliest one span from now).
local k = held - limit
local wait = span
if k < redis.call('ZCARD', answered) then
  local entry = redis.call('ZRANGE', answered, k, k, 'WITHSCORES')
  wait = tonumber(entry[2]) - now
end
return {0, math.max(wait, 1), share, epoch, n}

"""Client-side QBO rate limiting per realm, shared by every worker process.

Each request takes a slot: a lease that counts against the concurrency cap for as long as the
request runs, plus an entry in a sliding one-minute log that counts against the per-minute cap.
A batch request is one of those requests and also an entry in a second log, of batches, with
its own, lower cap (Intuit's "API call limits and throttles": 40 batch requests a minute).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import random
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import redis

# A lease outlives any single request (QBO itself gives up after 120 s); a worker that died
# mid-request frees its slot when the lease lapses.
DEFAULT_LEASE_SECONDS = 180.0
# How often a waiter re-checks a full concurrency cap (slots free up at unknown times).
POLL_SECONDS = 0.05
# We log a request when we send it and QBO counts it when it arrives. Transit times differ
# by request, so a 60-second window here can hold a 501st request by QBO's clock and earn a
# 429; a second of margin absorbs that, at the cost of under 2% of the ceiling.
DEFAULT_WINDOW_SECONDS = 61.0


class RateLimiter:
    """Blocks until a realm may send one more request; `slot()` holds it while it runs."""

    def __init__(
        self,
        per_minute: int = 500,
        concurrency: int = 10,
        *,
        batch_per_minute: int = 40,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.per_minute = per_minute
        self.concurrency = concurrency
        self.batch_per_minute = batch_per_minute
        self.window_seconds = window_seconds
        self.lease_seconds = lease_seconds

    @contextlib.contextmanager
    def slot(self, realm_id: str, *, batch: bool = False) -> Iterator[None]:
        """Wait for a concurrency slot and a rate-window token (and, for a batch request, a
        batch-window token), hold the slot until exit."""
        lease_id = uuid.uuid4().hex
        while (wait := self._try_acquire(realm_id, lease_id, batch)) > 0:
            # A little jitter keeps waiting workers from stampeding the moment a slot frees up;
            # it is added, not scaled, so a long wait for a full minute's window does not
            # oversleep by seconds and leave QBO's allowance unused.
            time.sleep(wait + random.uniform(0, POLL_SECONDS))
        try:
            yield
        finally:
            self._release(realm_id, lease_id)

    def batch_wait(self, realm_id: str, *, take: bool = False) -> float:
        """Seconds until the batch window has room for one more batch request (0: now), never
        waiting, so a worker can send single requests meanwhile. With `take`, a 0 also takes
        that room: the batch's first attempt is then sent with `slot(realm_id)`, not counted
        again (its retries take `slot(realm_id, batch=True)` as usual)."""
        raise NotImplementedError

    def _try_acquire(self, realm_id: str, lease_id: str, batch: bool) -> float:
        """Take a slot and return 0, or take nothing and return how long to wait."""
        raise NotImplementedError

    def _release(self, realm_id: str, lease_id: str) -> None:
        raise NotImplementedError


class NullRateLimiter(RateLimiter):
    """No limit at all (tests, one-off scripts)."""

    def batch_wait(self, realm_id: str, *, take: bool = False) -> float:
        return 0.0

    def _try_acquire(self, realm_id: str, lease_id: str, batch: bool) -> float:
        return 0.0

    def _release(self, realm_id: str, lease_id: str) -> None:
        return None


# KEYS: leases zset (member: lease id, score: expiry), calls zset and batches zset (member:
# lease id, score: time). ARGV: lease id, per_minute, concurrency, window ms, lease ms, poll
# ms, batch_per_minute, 1 for a batch request (else 0).
# Redis's own clock is the one clock every worker shares.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local per_minute, concurrency = tonumber(ARGV[2]), tonumber(ARGV[3])
local window, lease, poll = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local batch_per_minute, batch = tonumber(ARGV[7]), ARGV[8] == '1'
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= concurrency then
  local soonest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.min(poll, tonumber(soonest[2]) - now))
end
local logs = {{KEYS[2], per_minute}}
if batch then logs[2] = {KEYS[3], batch_per_minute} end
for _, log in ipairs(logs) do
  if redis.call('ZCARD', log[1]) >= log[2] then
    local oldest = redis.call('ZRANGE', log[1], 0, 0, 'WITHSCORES')
    return math.max(1, tonumber(oldest[2]) + window - now)
  end
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
for _, log in ipairs(logs) do
  redis.call('ZADD', log[1], now, ARGV[1])
  redis.call('PEXPIRE', log[1], window)
end
return 0
"""
# KEYS: the batches zset. ARGV: batch_per_minute, window ms, 1 to take the room (else 0), an
# id for the entry taken. How long until one more fits (0: now).
_BATCH_WAIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  if ARGV[3] == '1' then
    redis.call('ZADD', KEYS[1], now, ARGV[4])
    redis.call('PEXPIRE', KEYS[1], window)
  end
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""


class RedisRateLimiter(RateLimiter):
    """Shares the limits through Redis: one atomic Lua script checks and takes both caps."""

    def __init__(
        self,
        redis_url: str,
        per_minute: int = 500,
        concurrency: int = 10,
        *,
        key_prefix: str = "qbo:ratelimit",
        **kwargs: float,
    ) -> None:
        super().__init__(per_minute, concurrency, **kwargs)
        self.redis = redis.Redis.from_url(redis_url)
        self.key_prefix = key_prefix
        self._acquire = self.redis.register_script(_ACQUIRE)
        self._batch_wait = self.redis.register_script(_BATCH_WAIT)

    def _keys(self, realm_id: str) -> list[str]:
        # The hash tag keeps the keys of a realm on one Redis Cluster slot.
        base = f"{self.key_prefix}:{{{realm_id}}}"
        return [f"{base}:leases", f"{base}:calls", f"{base}:batches"]

    def batch_wait(self, realm_id: str, *, take: bool = False) -> float:
        wait_ms = self._batch_wait(
            keys=self._keys(realm_id)[2:],
            args=[
                self.batch_per_minute,
                int(self.window_seconds * 1000),
                int(take),
                uuid.uuid4().hex,
            ],
        )
        return int(wait_ms) / 1000

    def _try_acquire(self, realm_id: str, lease_id: str, batch: bool) -> float:
        wait_ms = self._acquire(
            keys=self._keys(realm_id),
            args=[
                lease_id,
                self.per_minute,
                self.concurrency,
                int(self.window_seconds * 1000),
                int(self.lease_seconds * 1000),
                int(POLL_SECONDS * 1000),
                self.batch_per_minute,
                int(batch),
            ],
        )
        return int(wait_ms) / 1000

    def _release(self, realm_id: str, lease_id: str) -> None:
        self.redis.zrem(self._keys(realm_id)[0], lease_id)


class FileRateLimiter(RateLimiter):
    """Shares the limits between the processes of one host through a locked file per realm."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        per_minute: int = 500,
        concurrency: int = 10,
        **kwargs: float,
    ) -> None:
        super().__init__(per_minute, concurrency, **kwargs)
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, realm_id: str) -> Path:
        name = (
            realm_id
            if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", realm_id)
            else (hashlib.sha256(realm_id.encode()).hexdigest())
        )
        return self.directory / f"qbo-ratelimit-{name}.json"

    @contextlib.contextmanager
    def _locked_state(self, realm_id: str) -> Iterator[dict]:
        """The realm's state, read and written back under an exclusive flock."""
        fd = os.open(self._path(realm_id), os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                state = json.loads(handle.read() or "{}")
            except ValueError:
                state = {}  # a file cut short by a crash: start afresh rather than block
            state.setdefault("calls", [])
            state.setdefault("batches", [])
            state.setdefault("leases", [])
            yield state
            handle.seek(0)
            handle.truncate()
            json.dump(state, handle)
            handle.flush()
            # The flock is released when the file closes.

    def batch_wait(self, realm_id: str, *, take: bool = False) -> float:
        now = time.time()
        with self._locked_state(realm_id) as state:
            wait = self._log_wait(state, "batches", self.batch_per_minute, now)
            if take and wait == 0:
                state["batches"].append(now)
            return wait

    def _log_wait(self, state: dict, log: str, cap: int, now: float) -> float:
        """Prune a log to the window; how long until it has room for one more (0: now)."""
        state[log] = [t for t in state[log] if t > now - self.window_seconds]
        if len(state[log]) < cap:
            return 0.0
        return max(0.001, min(state[log]) + self.window_seconds - now)

    def _try_acquire(self, realm_id: str, lease_id: str, batch: bool) -> float:
        now = time.time()
        logs = {"calls": self.per_minute, **({"batches": self.batch_per_minute} if batch else {})}
        with self._locked_state(realm_id) as state:
            state["leases"] = [
                lease
                for lease in state["leases"]
                if lease["expires"] > now and _process_alive(lease["pid"])
            ]
            if len(state["leases"]) >= self.concurrency:
                soonest = min(lease["expires"] for lease in state["leases"])
                return max(0.001, min(POLL_SECONDS, soonest - now))
            waits = [self._log_wait(state, log, cap, now) for log, cap in logs.items()]
            if max(waits) > 0:
                return max(waits)
            for log in logs:
                state[log].append(now)
            state["leases"].append(
                {"id": lease_id, "pid": os.getpid(), "expires": now + self.lease_seconds}
            )
            return 0.0

    def _release(self, realm_id: str, lease_id: str) -> None:
        with self._locked_state(realm_id) as state:
            state["leases"] = [lease for lease in state["leases"] if lease["id"] != lease_id]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to another user
    return True


def rate_limiter_from_url(
    redis_url: str | None, directory: str | os.PathLike[str], **kwargs: float
) -> RateLimiter:
    """Redis when a URL is configured, else a file-based limiter for this host."""
    if redis_url:
        return RedisRateLimiter(redis_url, **kwargs)
    return FileRateLimiter(directory, **kwargs)

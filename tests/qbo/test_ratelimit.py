"""The rate limiters hold their caps across processes and survive a crashed holder."""

import multiprocessing
import os
import threading
import time
import uuid

import pytest
import redis

from integrations.qbo.ratelimit import (
    FileRateLimiter,
    NullRateLimiter,
    RedisRateLimiter,
    rate_limiter_from_url,
)

REDIS_URL = os.environ.get("QBO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REALM = "9130350"
# fork keeps the workers cheap and lets them share the limiter objects built here.
FORK = multiprocessing.get_context("fork")


@pytest.fixture
def redis_limiter_factory():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"qbo-test:{uuid.uuid4().hex}"
    yield lambda **kwargs: RedisRateLimiter(REDIS_URL, key_prefix=prefix, **kwargs)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def file_limiter_factory(tmp_path):
    return lambda **kwargs: FileRateLimiter(tmp_path, **kwargs)


@pytest.fixture(params=["redis", "file"])
def limiter_factory(request):
    return request.getfixturevalue(f"{request.param}_limiter_factory")


def hold_slots(limiter, realm, times, hold, stamps, batch=False):
    """Take `times` slots one after another, noting (entered, left) for each."""
    for _ in range(times):
        with limiter.slot(realm, batch=batch):
            entered = time.time()
            time.sleep(hold)
            stamps.put((entered, time.time()))


def most_at_once(intervals) -> int:
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, change in events:  # a -1 sorts before a +1 at the same instant
        running += change
        peak = max(peak, running)
    return peak


def most_in_any_window(starts, window) -> int:
    starts = sorted(starts)
    return max(sum(1 for t in starts[i:] if t < first + window) for i, first in enumerate(starts))


def run_processes(limiter, realm, workers, times, hold, batch=False):
    stamps = FORK.Queue()
    processes = [
        FORK.Process(target=hold_slots, args=(limiter, realm, times, hold, stamps, batch))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    intervals = [stamps.get(timeout=30) for _ in range(workers * times)]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    return intervals


def test_the_concurrency_cap_holds_across_processes(limiter_factory):
    limiter = limiter_factory(concurrency=2, per_minute=1000)

    intervals = run_processes(limiter, REALM, workers=6, times=3, hold=0.05)

    assert most_at_once(intervals) == 2


def test_the_rate_window_holds_across_processes(limiter_factory):
    limiter = limiter_factory(concurrency=10, per_minute=4, window_seconds=0.4)

    started = time.time()
    intervals = run_processes(limiter, REALM, workers=3, times=4, hold=0.0)

    starts = [start for start, _ in intervals]
    # The stamps are taken just after each slot is granted, so allow for scheduling delay.
    assert most_in_any_window(starts, 0.4 - 0.1) <= 4
    assert time.time() - started >= 0.8  # 12 requests at 4 per 0.4 s need two full windows


def test_the_batch_window_holds_across_processes_and_leaves_single_requests_alone(
    limiter_factory,
):
    """Batch requests have their own, lower cap (40 a minute at QBO); other requests still go
    while it is full, and `batch_wait` says how long until one more batch fits."""
    limiter = limiter_factory(
        concurrency=10, per_minute=100, batch_per_minute=3, window_seconds=0.4
    )

    started = time.time()
    intervals = run_processes(limiter, REALM, workers=3, times=2, hold=0.0, batch=True)

    starts = [start for start, _ in intervals]
    assert most_in_any_window(starts, 0.4 - 0.1) <= 3
    assert time.time() - started >= 0.4  # 6 batches at 3 per 0.4 s need a second window
    with limiter.slot(REALM, batch=True), limiter.slot(REALM, batch=True):
        with limiter.slot(REALM, batch=True):
            assert 0 < limiter.batch_wait(REALM) <= 0.4
            single = time.monotonic()
            with limiter.slot(REALM):
                assert time.monotonic() - single < 0.1
    time.sleep(0.4)
    assert limiter.batch_wait(REALM) == 0


def test_realms_are_limited_independently(limiter_factory):
    limiter = limiter_factory(concurrency=1)

    with limiter.slot("realm-a"):
        done = threading.Event()
        threading.Thread(target=lambda: (limiter.slot("realm-b").__enter__(), done.set())).start()
        assert done.wait(2)


CRASHED = 3


def crash_holding_a_slot(limiter, realm):
    slot = limiter.slot(realm)  # keep a reference: a collected slot would release itself
    slot.__enter__()
    os._exit(CRASHED)


def test_a_slot_held_by_a_crashed_redis_worker_frees_when_its_lease_lapses(
    redis_limiter_factory,
):
    limiter = redis_limiter_factory(concurrency=1, lease_seconds=0.5)
    process = FORK.Process(target=crash_holding_a_slot, args=(limiter, REALM))
    process.start()
    process.join(timeout=10)
    assert process.exitcode == CRASHED

    started = time.monotonic()
    with limiter.slot(REALM):
        waited = time.monotonic() - started

    assert 0.2 <= waited < 3


def test_a_slot_held_by_a_dead_process_frees_at_once_with_the_file_limiter(
    file_limiter_factory,
):
    limiter = file_limiter_factory(concurrency=1, lease_seconds=60)
    process = FORK.Process(target=crash_holding_a_slot, args=(limiter, REALM))
    process.start()
    process.join(timeout=10)
    assert process.exitcode == CRASHED

    started = time.monotonic()
    with limiter.slot(REALM):
        assert time.monotonic() - started < 1


def test_a_corrupt_state_file_is_started_afresh(file_limiter_factory, tmp_path):
    limiter = file_limiter_factory(concurrency=1)
    (tmp_path / f"qbo-ratelimit-{REALM}.json").write_text('{"calls": [1, 2')

    with limiter.slot(REALM):
        pass


def test_the_null_limiter_never_waits():
    limiter = NullRateLimiter(per_minute=1, concurrency=1)

    started = time.monotonic()
    for _ in range(5):
        with limiter.slot(REALM):
            pass
    # A limiter that honoured 1 a minute would wait minutes; a loaded machine takes milliseconds.
    assert time.monotonic() - started < 30


def test_the_factory_picks_redis_when_a_url_is_given(tmp_path):
    assert isinstance(rate_limiter_from_url(REDIS_URL, tmp_path), RedisRateLimiter)
    assert isinstance(rate_limiter_from_url(None, tmp_path, concurrency=3), FileRateLimiter)
    assert rate_limiter_from_url("", tmp_path, concurrency=3).concurrency == 3

#!/usr/bin/python3
"""The `tasks` benchmark suite on asyncio or uvloop, for comparison with Aio.

    python3 tasks_bench.py asyncio|uvloop [BENCH ...]

Prints one JSON object per line, {"bench": NAME, "value": NUMBER, "unit": UNIT}, with the same
measurements, counts and batch sizes as `Aio.Bench tasks`, and the same method: each measurement
repeats its whole run for at least a second before anything counts (Python has no JIT to wait for,
but caches, the allocator's arenas and the heap sizes settle the same way), then takes RUNS runs and
reports the lowest value, since noise from other work on a shared machine only ever adds.
A full collection runs before each run. Progress goes to stderr.
"""

import asyncio
import gc
import json
import os
import random
import subprocess
import sys
import threading
import time

SPAWN_TOTAL = 1_000_000
SPAWN_BATCH = 10_000
SUSPENDED_TASKS = 100_000
CALL_SOON_TOTAL = 1_000_000
CALL_SOON_BATCH = 10_000
TIMER_COUNT = 100_000
TIMER_SPREAD = 0.5
THREADSAFE_THREADS = 4
THREADSAFE_PER_THREAD = 250_000

RUNS = max(5, int(os.environ.get("BENCH_RUNS", "5")))
WARM_UP = 1.0
SUSPENDED_CHILD = "--suspended-child"

ALL_BENCHES = ("spawn_await", "suspended_task", "call_soon", "timers", "threadsafe_wakeups")


def report(bench, value, unit):
    print(json.dumps({"bench": bench, "value": round(value, 1 if value >= 100 else 3), "unit": unit}), flush=True)


async def measure(name, run):
    """Warm-up, then RUNS runs; returns the lowest value of each figure a run returns."""
    start = time.perf_counter()
    warm_runs = 0
    while True:
        gc.collect()
        await run()
        warm_runs += 1
        if time.perf_counter() - start >= WARM_UP:
            break
    warm_time = time.perf_counter() - start
    samples = []
    for _ in range(RUNS):
        gc.collect()
        samples.append(await run())
    best = [min(sample[k] for sample in samples) for k in range(len(samples[0]))]
    runs = "; ".join(" ".join(f"{v:.3f}" for v in sample) for sample in samples)
    print(f"[{name}] warm-up: {warm_runs} runs in {warm_time:.2f} s; runs: {runs}", file=sys.stderr, flush=True)
    return best


async def trivial():
    pass


async def spawn_await():
    loop = asyncio.get_running_loop()
    create_task = loop.create_task
    gather = asyncio.gather
    start = time.perf_counter_ns()
    for _ in range(SPAWN_TOTAL // SPAWN_BATCH):
        tasks = [create_task(trivial()) for _ in range(SPAWN_BATCH)]
        await gather(*tasks)
    end = time.perf_counter_ns()
    return [(end - start) / SPAWN_TOTAL]


def nothing():
    pass


async def call_soon():
    loop = asyncio.get_running_loop()
    call_soon = loop.call_soon
    sleep = asyncio.sleep
    start = time.perf_counter_ns()
    for _ in range(CALL_SOON_TOTAL // CALL_SOON_BATCH):
        for _ in range(CALL_SOON_BATCH):
            call_soon(nothing)
        # The yield queues this task behind the batch, so the batch has run when it resumes.
        await sleep(0)
    end = time.perf_counter_ns()
    return [(end - start) / CALL_SOON_TOTAL]


class TimerRun:
    """One run of the timer benchmark; the delays are drawn once so a run times only the loop."""

    def __init__(self):
        rng = random.Random(12345)
        self.delays = [rng.random() * TIMER_SPREAD for _ in range(TIMER_COUNT)]
        self.fired = [0.0] * TIMER_COUNT
        self.handles = [None] * TIMER_COUNT
        self.remaining = 0
        self.done = None
        self.loop = None

    def fire(self, i):
        self.fired[i] = self.loop.time()
        self.remaining -= 1
        if self.remaining == 0:
            self.done.set_result(True)

    async def run(self):
        loop = self.loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        self.remaining = TIMER_COUNT
        call_later = loop.call_later
        fire = self.fire
        delays = self.delays
        handles = self.handles
        scheduled = loop.time()
        start = time.perf_counter_ns()
        for i in range(TIMER_COUNT):
            handles[i] = call_later(delays[i], fire, i)
        end = time.perf_counter_ns()
        await self.done
        # uvloop rounds delays to whole milliseconds and hands back a plain Handle, without when(), for
        # the ones that round to zero: their deadline is the scheduling time plus the delay asked for.
        late = 0.0
        for i in range(TIMER_COUNT):
            handle = handles[i]
            deadline = handle.when() if hasattr(handle, "when") else scheduled + delays[i]
            late += self.fired[i] - deadline
        for i in range(TIMER_COUNT):
            handles[i] = None
        return [(end - start) / TIMER_COUNT, late / TIMER_COUNT * 1000]


async def threadsafe_wakeups():
    loop = asyncio.get_running_loop()
    total = THREADSAFE_THREADS * THREADSAFE_PER_THREAD
    done = loop.create_future()
    ran = 0

    # Runs on the loop thread only.
    def count():
        nonlocal ran
        ran += 1
        if ran == total:
            done.set_result(True)

    go = threading.Event()

    def produce():
        go.wait()
        post = loop.call_soon_threadsafe
        for _ in range(THREADSAFE_PER_THREAD):
            post(count)

    threads = [threading.Thread(target=produce) for _ in range(THREADSAFE_THREADS)]
    for thread in threads:
        thread.start()
    start = time.perf_counter_ns()
    go.set()
    await done
    end = time.perf_counter_ns()
    for thread in threads:
        thread.join()
    return [(end - start) / total]


# ---- suspended_task, in a fresh process ---------------------------------------------------------

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


async def sleeper():
    await asyncio.sleep(3600)


async def suspended_child():
    loop = asyncio.get_running_loop()
    # Every code path the measured tasks take runs here first, so first-use state is in the baseline.
    for _ in range(2):
        warm = [loop.create_task(sleeper()) for _ in range(300)]
        await asyncio.sleep(0)
        for task in warm:
            task.cancel()
        await asyncio.gather(*warm, return_exceptions=True)
        await asyncio.sleep(0.01)
    del warm
    resident_bytes()

    tasks = [None] * SUSPENDED_TASKS
    gc.collect()
    before = resident_bytes()
    for i in range(SUSPENDED_TASKS):
        tasks[i] = loop.create_task(sleeper())
    # Every first step runs before the yield returns; the short sleep then lets the loop go idle.
    await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    gc.collect()
    after = resident_bytes()
    print(f"{(after - before) / SUSPENDED_TASKS!r}", flush=True)
    # Cancelling 100,000 tasks on the way out would only cost time.
    os._exit(0)


def run_suspended_child(implementation):
    answer = subprocess.run(
        [sys.executable, os.path.abspath(__file__), implementation, SUSPENDED_CHILD],
        stdout=subprocess.PIPE, check=True, text=True)
    return float(answer.stdout.strip())


# ---- main ---------------------------------------------------------------------------------------

async def suite(only):
    if "spawn_await" in only:
        report("spawn_await", (await measure("spawn_await", spawn_await))[0], "ns/op")
    if "call_soon" in only:
        report("call_soon", (await measure("call_soon", call_soon))[0], "ns/op")
    if "timers" in only:
        schedule, late = await measure("timers", TimerRun().run)
        report("timers_schedule", schedule, "ns/timer")
        report("timers_late", late, "ms")
    if "threadsafe_wakeups" in only:
        report("threadsafe_wakeups", (await measure("threadsafe_wakeups", threadsafe_wakeups))[0], "ns/op")


def run(implementation, coroutine):
    if implementation == "asyncio":
        asyncio.run(coroutine)
    elif implementation == "uvloop":
        import uvloop
        if hasattr(uvloop, "run"):
            uvloop.run(coroutine)
        else:
            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
            asyncio.run(coroutine)
    else:
        coroutine.close()
        raise SystemExit(f"unknown implementation {implementation!r}: use asyncio or uvloop")


def main(argv):
    if len(argv) < 1:
        raise SystemExit("usage: tasks_bench.py asyncio|uvloop [BENCH ...]")
    implementation = argv[0]
    if argv[1:] == [SUSPENDED_CHILD]:
        run(implementation, suspended_child())
        return
    only = set(argv[1:]) or set(ALL_BENCHES)
    unknown = only - set(ALL_BENCHES)
    if unknown:
        raise SystemExit(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    run(implementation, suite(only))
    if "suspended_task" in only:
        report("suspended_task", run_suspended_child(implementation), "bytes/task")


if __name__ == "__main__":
    main(sys.argv[1:])

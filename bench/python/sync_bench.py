#!/usr/bin/python3
"""The `sync` benchmark suite on asyncio or uvloop, for comparison with Aio.

    python3 sync_bench.py asyncio|uvloop [BENCH ...]

Prints one JSON object per line, {"bench": NAME, "value": NUMBER, "unit": UNIT}, with the same
measurements and counts as `Aio.Bench sync`, and the same method as tasks_bench.py (whose helpers it
uses): each measurement repeats its whole run for at least a second, then takes RUNS runs and reports
the lowest value. Every primitive is made afresh for each run. Progress goes to stderr.

BENCH_QUICK=1 asks for a trial run, as it does of `Aio.Bench sync`: every count divided by 10.
"""

import asyncio
import os
import sys
import time

from tasks_bench import measure, report, run

QUICK = os.environ.get("BENCH_QUICK") == "1"
QUICK_DIVISOR = 10


def scaled(count):
    return count // QUICK_DIVISOR if QUICK else count


QUEUE_ITEMS = scaled(1_000_000)
PING_PONG_SIZE = 1
THROUGHPUT_SIZE = 1_024
LOCK_OPERATIONS = scaled(1_000_000)
CONTENDED_TASKS = 100
CONTENDED_PER_TASK = scaled(10_000)
SEMAPHORE_PERMITS = 10

ALL_BENCHES = ("queue_pingpong", "queue_throughput", "lock_uncontended", "lock_contended", "semaphore_contended")


# ---- queues -------------------------------------------------------------------------------------

async def produce(queue, count):
    put = queue.put
    for i in range(count):
        await put(i)


async def consume(queue, count):
    get = queue.get
    total = 0
    for _ in range(count):
        total += await get()
    return total


def queue_run(maxsize):
    async def one_run():
        """One producer task puts QUEUE_ITEMS items, one consumer task gets them."""
        loop = asyncio.get_running_loop()
        queue = asyncio.Queue(maxsize)
        start = time.perf_counter_ns()
        producer = loop.create_task(produce(queue, QUEUE_ITEMS))
        consumer = loop.create_task(consume(queue, QUEUE_ITEMS))
        await producer
        total = await consumer
        end = time.perf_counter_ns()
        if total != QUEUE_ITEMS * (QUEUE_ITEMS - 1) // 2:
            raise RuntimeError(f"the consumer saw items summing to {total}")
        return [(end - start) / QUEUE_ITEMS]

    return one_run


# ---- locks and semaphores -----------------------------------------------------------------------

async def lock_uncontended():
    lock = asyncio.Lock()
    acquire = lock.acquire
    release = lock.release
    start = time.perf_counter_ns()
    for _ in range(LOCK_OPERATIONS):
        await acquire()
        release()
    end = time.perf_counter_ns()
    return [(end - start) / LOCK_OPERATIONS]


async def hold_across_yield(primitive, count):
    acquire = primitive.acquire
    release = primitive.release
    sleep = asyncio.sleep
    for _ in range(count):
        await acquire()
        await sleep(0)
        release()


def contended(make):
    async def one_run():
        """CONTENDED_TASKS tasks each acquire the primitive CONTENDED_PER_TASK times, holding it across
        one yield."""
        loop = asyncio.get_running_loop()
        primitive = make()
        start = time.perf_counter_ns()
        tasks = [loop.create_task(hold_across_yield(primitive, CONTENDED_PER_TASK)) for _ in range(CONTENDED_TASKS)]
        await asyncio.gather(*tasks)
        end = time.perf_counter_ns()
        return [(end - start) / (CONTENDED_TASKS * CONTENDED_PER_TASK)]

    return one_run


# ---- main ---------------------------------------------------------------------------------------

async def suite(only):
    if "queue_pingpong" in only:
        report("queue_pingpong", (await measure("queue_pingpong", queue_run(PING_PONG_SIZE)))[0], "ns/item")
    if "queue_throughput" in only:
        report("queue_throughput", (await measure("queue_throughput", queue_run(THROUGHPUT_SIZE)))[0], "ns/item")
    if "lock_uncontended" in only:
        report("lock_uncontended", (await measure("lock_uncontended", lock_uncontended))[0], "ns/op")
    if "lock_contended" in only:
        report("lock_contended", (await measure("lock_contended", contended(asyncio.Lock)))[0], "ns/op")
    if "semaphore_contended" in only:
        semaphore = contended(lambda: asyncio.Semaphore(SEMAPHORE_PERMITS))
        report("semaphore_contended", (await measure("semaphore_contended", semaphore))[0], "ns/op")


def main(argv):
    if len(argv) < 1:
        raise SystemExit("usage: sync_bench.py asyncio|uvloop [BENCH ...]")
    implementation = argv[0]
    only = set(argv[1:]) or set(ALL_BENCHES)
    unknown = only - set(ALL_BENCHES)
    if unknown:
        raise SystemExit(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    if QUICK:
        print(f"BENCH_QUICK=1: a trial run, every count divided by {QUICK_DIVISOR}", file=sys.stderr, flush=True)
    run(implementation, suite(only))


if __name__ == "__main__":
    main(sys.argv[1:])

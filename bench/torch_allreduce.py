#!/usr/bin/python3
"""The comparison figure for `bin/clip bench-comm`: PyTorch's gloo all-reduce of the same number of
floats between N processes on this machine (loopback TCP), the exchange DDP would make per step.

usage: /usr/bin/python3 bench/torch_allreduce.py [--workers N] [--params P] [--rounds R]
"""
import argparse
import os
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def worker(rank, n, params, rounds, port, results):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=n)
    t = torch.zeros(params, dtype=torch.float32)
    times = []
    cpu = []
    for _ in range(rounds + 1):
        dist.barrier()
        start = time.perf_counter()
        cpu_start = time.process_time()  # every thread of this process, gloo's included
        dist.all_reduce(t)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    results.put((rank, times, cpu))
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--params", type=int, default=196_000_000)
    p.add_argument("--rounds", type=int, default=12)  # as bin/clip bench-comm
    p.add_argument("--port", type=int, default=29511)
    a = p.parse_args()
    results = mp.get_context("spawn").SimpleQueue()
    mp.spawn(worker, args=(a.workers, a.params, a.rounds, a.port, results), nprocs=a.workers, join=True)
    ranks = sorted(results.get() for _ in range(a.workers))
    times = ranks[0][1]
    best = min(times[1:])
    cpu = [sum(r[2][i] for r in ranks) for i in range(a.rounds + 1)]
    moved = 2.0 * a.params * (a.workers - 1) / a.workers * 4
    print(f"torch gloo all_reduce: {a.workers} workers, {a.params:,} floats: best {best:.3f} s; each worker sent and "
          f"received {moved / 1e6:.1f} MB ({moved / best / 1e9:.2f} GB/s per worker each way)")
    print("  steps of rank 0, warm-up first: " + " ".join(f"{x:.3f}" for x in times)
          + " s; CPU of all workers' processes in each: " + " ".join(f"{x:.2f}" for x in cpu) + " s")


if __name__ == "__main__":
    main()

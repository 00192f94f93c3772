"""Benchmark: judge calls per second against the loopback fake OpenAI server, sequential vs the concurrency cap.

Every reply is delayed by ``--latency`` seconds (a stand-in for a remote model's time to answer). The same
``--requests`` VIEScore-shaped requests (prompt + ``--frames`` frames) go through ``OpenAICompatBackend`` once with
``max_in_flight=1`` and once with ``max_in_flight=--cap``; the ratio of the two throughputs shows that requests
overlap (ideally about ``cap``, bounded by ``latency`` against the per-request overhead of encoding frames).

Run: ``python bench/bench_judges.py [--requests 32] [--latency 0.1] [--cap 8] [--frames 8]``. Prints plain text.
Not a timed test: one run, its own numbers.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))

from helpers.fake_openai import FakeOpenAI

from aigve.models.judges import JudgeReply, JudgeRequest
from aigve.models.judges.openai_compat import OpenAICompatBackend


def run(server: FakeOpenAI, requests: list[JudgeRequest], cap: int) -> tuple[float, int, int]:
    """(seconds, replies that succeeded, peak requests in flight seen by the server) for one pass."""
    server.reset()
    with OpenAICompatBackend(model='bench', base_url=server.base_url, api_key_env=None, max_in_flight=cap,
                             max_side=256) as backend:
        start = time.perf_counter()
        outs = backend.generate(requests)
        seconds = time.perf_counter() - start
    return seconds, sum(isinstance(o, JudgeReply) for o in outs), server.max_in_flight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--requests', type=int, default=32)
    parser.add_argument('--latency', type=float, default=0.1, help='seconds the fake server waits per reply')
    parser.add_argument('--cap', type=int, default=8, help='max_in_flight of the concurrent pass')
    parser.add_argument('--frames', type=int, default=8, help='frames (images) per request')
    args = parser.parse_args()
    g = torch.Generator().manual_seed(0)
    frames = list(torch.randint(0, 256, (args.frames, 3, 256, 256), dtype=torch.uint8, generator=g))
    requests = [JudgeRequest(f'Text Prompt: video {i}', images=frames, max_tokens=64) for i in range(args.requests)]
    with FakeOpenAI(latency=args.latency) as server:
        seq_s, seq_ok, seq_peak = run(server, requests, 1)
        par_s, par_ok, par_peak = run(server, requests, args.cap)
    print(f'{args.requests} requests, {args.frames} frames of 256x256 each, '
          f'{args.latency * 1000:.0f} ms server latency')
    print(f'sequential (max_in_flight=1):  {seq_s:7.2f} s  {args.requests / seq_s:7.1f} calls/s  '
          f'ok {seq_ok}  peak in flight {seq_peak}')
    print(f'concurrent (max_in_flight={args.cap}): {par_s:7.2f} s  {args.requests / par_s:7.1f} calls/s  '
          f'ok {par_ok}  peak in flight {par_peak}')
    print(f'speed-up: {seq_s / par_s:.2f}x (ideal {min(args.cap, args.requests)}x)')


if __name__ == '__main__':
    main()

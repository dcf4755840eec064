"""Timing contenders against each other: warm-up, alternating batches, medians."""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Timing:
    """Milliseconds per call: the median over repeats, and every repeat's figure."""

    median: float
    runs: list[float]
    calls: int


@dataclass
class Plan:
    calls: int
    repeats: int
    warmup: int


@dataclass
class Contender:
    """One way of answering calls, timed in batches; ``before``/``after`` run untimed."""

    name: str
    call: Callable[[int], None]
    before: Callable[[], None] = lambda: None
    after: Callable[[], None] = lambda: None
    #: Calls per batch and warm-up calls, when they differ from the block's plan (a slow
    #: contender runs short batches while the floor beside it keeps its precision).
    calls: int | None = None
    warmup: int | None = None


def spread_targets(indices: list[int], count: int, seed: int) -> list[int]:
    """``count`` interactions spread evenly over ``indices`` (last one included), shuffled."""
    if not indices:
        raise ValueError("no interaction of this operation in the cassette")
    count = max(1, min(count, len(indices)))
    if count == 1:
        chosen = [indices[-1]]
    else:
        step = (len(indices) - 1) / (count - 1)
        chosen = sorted({indices[round(k * step)] for k in range(count)})
    random.Random(seed).shuffle(chosen)
    return chosen


def measure_block(contenders: list[Contender], targets: list[int], plan: Plan) -> dict[str, Timing]:
    """Time the contenders in alternating batches over the same requests.

    Each repeat runs one batch per contender (the order rotates between repeats), so a slow
    spell of the machine (other processes share its cores) hits neighbouring batches alike;
    ``runs[k]`` of every contender come from the same repeat ``k`` (see :func:`paired_ratio`).
    """
    position = 0

    def batch(n: int) -> list[int]:
        nonlocal position
        out = [targets[(position + k) % len(targets)] for k in range(n)]
        position += n
        return out

    longest = max(c.warmup if c.warmup is not None else plan.warmup for c in contenders)
    warm = batch(longest)
    for contender in contenders:
        contender.before()
        for i in warm[: contender.warmup if contender.warmup is not None else plan.warmup]:
            contender.call(i)
        contender.after()
    gc.collect()
    runs: dict[str, list[float]] = {c.name: [] for c in contenders}
    sizes = {c.name: c.calls or plan.calls for c in contenders}
    for repeat in range(plan.repeats):
        order = batch(max(sizes.values()))
        shift = repeat % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            calls = order[: sizes[contender.name]]
            contender.before()
            started = time.perf_counter()
            for i in calls:
                contender.call(i)
            elapsed = time.perf_counter() - started
            contender.after()
            runs[contender.name].append(elapsed * 1000 / len(calls))
    return {name: Timing(statistics.median(r), r, sizes[name]) for name, r in runs.items()}


def paired_ratio(timing: Timing, base: Timing) -> float:
    """Median over repeats of ``timing``'s batch / ``base``'s batch of the same repeat.

    Batches of one repeat ran back to back, so this ratio cancels slow spells of the machine
    better than a ratio of two medians (which may come from different repeats).
    """
    return statistics.median(a / b for a, b in zip(timing.runs, base.runs, strict=True))

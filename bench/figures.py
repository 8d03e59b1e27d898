"""What every benchmark returns, a row of the report, and how its runs are taken."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    measured: str
    baseline: str
    ratio: str
    target: str = ""


def verdict(target: str, met: bool) -> str:
    return f"{target}: {'met' if met else 'missed'}"


def alternate(
    runs: int, measure: Callable[[], float], baseline: Callable[[], float]
) -> tuple[float, float]:
    """Medians of `runs` alternating runs: the baseline, then the measured, then again."""
    measured, base = [], []
    for _ in range(runs):
        base.append(baseline())
        measured.append(measure())
    return statistics.median(measured), statistics.median(base)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started

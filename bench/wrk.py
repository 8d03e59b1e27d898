"""The load generator: wrk, installed from Debian when missing, and what it measured."""

import os
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass

WRK_CONNECTIONS = 32
WRK_SECONDS = 5


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("bench: wrk is missing; install it: sudo apt-get install wrk")
    print("bench: installing wrk from Debian", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or sys.exit("bench: wrk did not install")


def wrk(url: str, headers: dict[str, str] | None = None) -> Load:
    arguments = [ensure_wrk(), "-t1", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", "--latency", url]
    for name, value in (headers or {}).items():
        arguments += ["-H", f"{name}: {value}"]
    output = subprocess.run(arguments, capture_output=True, text=True, check=True).stdout

    def latency(percentile: str) -> float:
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"wrk printed no {percentile}% latency:\n{output}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate:\n{output}")
    return Load(float(rate.group(1)), latency("50"), latency("99"))


def median_load(loads: list[Load]) -> Load:
    return Load(
        statistics.median([load.requests_per_second for load in loads]),
        statistics.median([load.p50_ms for load in loads]),
        statistics.median([load.p99_ms for load in loads]),
    )

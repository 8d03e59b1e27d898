"""The load generator: wrk, installed from Debian when missing, and what it measured."""

import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

WRK_CONNECTIONS = 32
WRK_SECONDS = 5


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int = 0


@dataclass(frozen=True)
class Request:
    """A request for wrk to repeat; `{id}` in the path takes each of `ids` in turn."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    ids: tuple[str, ...] = ()


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


def wrk(
    url: str,
    headers: dict[str, str] | None = None,
    *,
    script: Path | None = None,
    seconds: int = WRK_SECONDS,
) -> Load:
    """One run; any answer outside 2xx/3xx fails it, since its rate would measure an error."""
    arguments = [ensure_wrk(), "-t1", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    for name, value in (headers or {}).items():
        arguments += ["-H", f"{name}: {value}"]
    if script is not None:
        arguments += ["-s", str(script)]
    output = subprocess.run(arguments, capture_output=True, text=True, check=True).stdout

    def latency(percentile: str) -> float:
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"wrk printed no {percentile}% latency:\n{output}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    count = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    if rate is None or count is None:
        raise RuntimeError(f"wrk printed no rate:\n{output}")
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if failed is not None:
        raise RuntimeError(f"{failed.group(1)} failed answers from {url}:\n{output}")
    return Load(float(rate.group(1)), latency("50"), latency("99"), int(count.group(1)))


def lua_string(text: str) -> str:
    """A Lua string literal of any text: plain characters as they are, the rest as bytes."""
    return '"' + "".join(_lua_character(character) for character in text) + '"'


def _lua_character(character: str) -> str:
    if character.isascii() and (character.isalnum() or character in " ,.:;/=&?_-()[]{}+*@!#$"):
        return character
    return "".join(f"\\{byte:03d}" for byte in character.encode())


def request_script(request: Request) -> Path:
    """The wrk script that sends `request` (one file per distinct request, reused)."""
    lines = [f"wrk.method = {lua_string(request.method)}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in request.headers.items()]
    if request.body is not None:
        lines.append(f"wrk.body = {lua_string(request.body)}")
    if request.ids:
        before, _, after = request.path.partition("{id}")
        lines += [
            "local ids = {" + ", ".join(lua_string(i) for i in request.ids) + "}",
            "local turn = 0",
            "request = function()",
            "  turn = turn % #ids + 1",
            f"  return wrk.format(nil, {lua_string(before)} .. ids[turn] .. {lua_string(after)})",
            "end",
        ]
    else:
        lines.append(f"wrk.path = {lua_string(request.path)}")
    text = "\n".join(lines) + "\n"
    folder = Path(tempfile.gettempdir()) / "bench-wrk"
    folder.mkdir(exist_ok=True)
    script = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.lua"
    script.write_text(text)
    return script


def send(base_url: str, request: Request, seconds: int = WRK_SECONDS) -> Load:
    """Load `base_url` (scheme, host and port) with `request`."""
    return wrk(base_url.rstrip("/") + "/", script=request_script(request), seconds=seconds)


def median_load(loads: list[Load]) -> Load:
    return Load(
        statistics.median([load.requests_per_second for load in loads]),
        statistics.median([load.p50_ms for load in loads]),
        statistics.median([load.p99_ms for load in loads]),
        int(statistics.median([load.requests for load in loads])),
    )

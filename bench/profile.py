"""Where the service's time goes: py-spy samples the running service from outside (its install
is left alone), and each sample is charged to the part of the request it was in.

A sample is charged by its innermost frame that belongs to a part: frames of the standard
library (but logging and asyncio) and of helpers every part uses (anyio, h11) are skipped, so
`json.dumps` called by structlog counts for the log line and called by httpx for the PostgREST
client. The full stacks are kept in bench/results/ (collapsed format, for a flame graph tool
such as speedscope).
"""

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLES_PER_SECOND = 200
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
# Used by several parts: a sample in them is charged to the frame that called them.
SHARED_HELPERS = frozenset({"anyio", "sniffio", "h11", "idna", "typing_extensions", "propcache"})
# Where an idle thread waits: py-spy counts the thread pool's idle workers as busy.
WAITING = frozenset(
    {
        ("threading", "Condition.wait"),
        ("threading", "Event.wait"),
        ("threading", "Thread.join"),
        ("threading", "Thread._wait_for_tstate_lock"),
        ("queue", "Queue.get"),
        ("selectors", "EpollSelector.select"),
    }
)


@dataclass(frozen=True)
class Frame:
    function: str
    file: str

    @property
    def package(self) -> str:
        """The top-level package or module: py-spy names a file below its sys.path entry."""
        path = self.file.split("site-packages/")[-1]
        return path.split("/")[0].removesuffix(".py")

    @property
    def module(self) -> str:
        return self.file.split("site-packages/")[-1]

    def __str__(self) -> str:
        return f"{self.function} ({self.module})"


@dataclass(frozen=True)
class Part:
    name: str
    covers: str
    # What a frame of it looks like: its package, a piece of its file's path, or a package and
    # a piece of the function's name ("pydantic:dump"); alternatives separated by "|".
    pattern: str


# The parts of a request; a frame belongs to the first that matches it.
PARTS = [
    Part("token check", "Clerk SDK, PyJWT, cryptography", "clerk_backend_api|jwt|cryptography"),
    Part(
        "PostgREST query",
        "supabase-py, postgrest-py: the client, the query, its response",
        "supabase|supabase_auth|supabase_functions|storage3|realtime|postgrest",
    ),
    Part(
        "HTTP client",
        "httpx, aiohttp: the request, the pool, I/O, PostgREST's JSON parsed",
        "httpx|httpcore|aiohttp|yarl|multidict|app/core/aiohttp_transport",
    ),
    Part("log line", "structlog, logging", "structlog|logging"),
    Part(
        "serialization",
        "the response model to JSON",
        "pydantic:dump|fastapi:serializ|fastapi/encoders|starlette/responses",
    ),
    Part("validation", "pydantic: parameters, rows, models", "pydantic|pydantic_core"),
    Part(
        "middleware",
        "the service's: ids, headers, rate limit, trailing slash",
        "app/core/middleware|app/core/request_context|app/core/rate_limit|app/main",
    ),
    Part("service code", "the service's routes, services, deps, auth", "app"),
    Part(
        "framework",
        "FastAPI and Starlette: routing, dependencies, their middleware",
        "fastapi|starlette",
    ),
    Part("server", "uvicorn, HTTP parsing, the event loop", "uvicorn|httptools|uvloop|asyncio"),
]
OTHER = Part("other", "threads, the standard library", "")


def _matches(frame: Frame, pattern: str) -> bool:
    for alternative in pattern.split("|"):
        if ":" in alternative:
            where, function = alternative.split(":", 1)
            if frame.package == where and function in frame.function:
                return True
        elif "/" in alternative:
            if alternative in frame.file:
                return True
        elif frame.package == alternative:
            return True
    return False


def part_of(frame: Frame) -> Part | None:
    if frame.package in SHARED_HELPERS:
        return None
    for part in PARTS:
        if _matches(frame, part.pattern):
            return part
    return None


def parse(collapsed: str) -> list[tuple[list[Frame], int]]:
    """py-spy's raw output: one stack a line, outermost frame first, then its sample count."""
    stacks = []
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        frames = []
        for text in stack.split(";"):
            match = FRAME.match(text)
            frames.append(Frame(match["function"], match["file"]) if match else Frame(text, text))
        stacks.append((frames, int(count)))
    return stacks


def waiting(frames: list[Frame]) -> bool:
    return (frames[-1].package, frames[-1].function) in WAITING


def charged(frames: list[Frame]) -> tuple[Part, Frame]:
    """The part a sample is charged to, and the frame that decided it."""
    for frame in reversed(frames):
        part = part_of(frame)
        if part is not None:
            return part, frame
    return OTHER, frames[-1]


@dataclass
class Profile:
    samples: int
    parts: list[tuple[Part, float]]
    # Innermost frames that decided a part, with the share of samples each decided.
    hottest: list[tuple[str, Part, float]]
    # The service's own functions, with the share of samples spent in them and below.
    own_functions: list[tuple[str, float]]

    def table(self, cpu_ms_per_request: float) -> str:
        """Each part's share, and that share of the CPU the service spends per request."""
        rows = [
            "| Part of the request | Share of the samples | ms of CPU per request |",
            "|---|---:|---:|",
        ]
        rows += [
            f"| **{part.name}** ({part.covers}) | {share:.0%} | {share * cpu_ms_per_request:.2f} |"
            for part, share in self.parts
        ]
        return "\n".join(rows)

    def details(self) -> str:
        lines = ["Innermost frames that decided the part (share of samples):"]
        lines += [f"  {share:6.1%}  [{part.name}]  {frame}" for frame, part, share in self.hottest]
        lines += ["", "The service's own functions, with what they call (share of samples):"]
        lines += [f"  {share:6.1%}  {function}" for function, share in self.own_functions]
        return "\n".join(lines)


def summarize(collapsed: str, top: int = 20) -> Profile:
    stacks = [(frames, count) for frames, count in parse(collapsed) if not waiting(frames)]
    total = sum(count for _, count in stacks) or 1
    parts: Counter[Part] = Counter()
    deciding: Counter[tuple[str, Part]] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        part, frame = charged(frames)
        parts[part] += count
        deciding[(str(frame), part)] += count
        for function in {str(f) for f in frames if f.package == "app"}:
            inclusive[function] += count
    return Profile(
        samples=total,
        parts=[(part, count / total) for part, count in parts.most_common()],
        hottest=[(f, p, count / total) for (f, p), count in deciding.most_common(top)],
        own_functions=[(f, count / total) for f, count in inclusive.most_common(top)],
    )


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).is_file():
        raise RuntimeError("py-spy is missing: run `uv sync` (it is in the dev group)")
    return found


def record(pid: int, seconds: int, output: Path) -> subprocess.Popen[str]:
    """Start sampling `pid` for `seconds`, threads found idle left out (`summarize` drops the
    thread pool's waiting workers, which py-spy takes for busy)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [py_spy(), "record", "--pid", str(pid), "--duration", str(seconds)]
    command += ["--rate", str(SAMPLES_PER_SECOND), "--format", "raw", "--function"]
    command += ["--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

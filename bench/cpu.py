"""CPU time from the kernel's counters: what a process, with its threads and children, has
used (/proc/<pid>/stat: utime + stime, and cutime + cstime for children that have ended)."""

import os
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name, in parentheses, may hold spaces: the fields start after its ")".
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` and every process below it."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is None:
            continue
        pid = int(entry.name)
        # After the name: state, ppid, ... utime (11), stime (12), cutime (13), cstime (14).
        children.setdefault(int(fields[1]), []).append(pid)
        ticks[pid] = sum(int(value) for value in fields[11:15])
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += ticks.get(pid, 0)
        pending += children.get(pid, [])
    return total / TICKS_PER_SECOND


def cpu_of(processes: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in processes.items()}

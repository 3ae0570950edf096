"""CPU time of processes (and their descendants) and the machine's steal time, from Linux ``/proc``.

Latency on a shared 2-core machine follows how busy the cores are, so the nearline benchmark reports
where the CPU went per edit: that figure moves far less between runs than a p99 does.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # the command name may hold spaces or parentheses


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            out.setdefault(int(fields[1]), []).append(int(entry))
    return out


def cpu_seconds(pids: list[int | None], descendants: bool = True) -> float:
    """User + system seconds of ``pids`` (``None`` entries skipped) and, by default, their live descendants."""
    tree = _children() if descendants else {}
    seen: set[int] = set()
    todo = [p for p in pids if p is not None]
    total = 0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
        todo.extend(tree.get(pid, ()))
    return total / _TICK


def machine_ticks() -> list[int]:
    """The first line of ``/proc/stat``: user, nice, system, idle, iowait, irq, softirq, steal, ..."""
    return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def steal_share(before: list[int], after: list[int]) -> float:
    """Share of the machine's time the hypervisor gave to other guests between two ``machine_ticks``."""
    delta = [b - a for a, b in zip(before, after, strict=False)]
    return delta[7] / max(1, sum(delta)) if len(delta) > 7 else 0.0


def thread_cpu_seconds(pid: int | None, name_prefixes: tuple[str, ...]) -> float:
    """User + system seconds of ``pid``'s live threads whose name starts with one of ``name_prefixes``
    (a JVM names its JIT compiler threads ``C1 CompilerThre…`` and ``C2 CompilerThre…``)."""
    if pid is None:
        return 0.0
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tasks:
        try:
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if name.startswith(name_prefixes):
            total += int(fields[11]) + int(fields[12])
    return total / _TICK

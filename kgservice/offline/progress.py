"""One progress bar for every training loop: steps done, the running loss, time left."""

from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def training_progress(console: Any = None) -> Progress:
    """Tasks take a ``loss`` field (``progress.add_task(name, total=n, loss=0.0)``)."""
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("loss {task.fields[loss]:.4f}"), TimeRemainingColumn(), console=console)


def work_progress(console: Any = None) -> Progress:
    """The same bar for the work around training (embedding texts, building tables): no loss column."""
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console)

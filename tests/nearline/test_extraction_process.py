"""The worker's extraction in child processes: the same writes as in-process extraction, and a
child that dies is replaced (the failing batch raises, the next one is extracted)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from kgservice.nearline.edit_stream import make_edit
from kgservice.nearline.extraction import ExtractionCrashed, ExtractionProcess, InlineExtraction

pytestmark = pytest.mark.neo4j

TEXTS = [
    "Python developer with Django, PostgreSQL and Docker experience; builds REST APIs on AWS.",
    "Requirements\n- 3+ years of SQL and Tableau\n- Stakeholder management\n\nBenefits\n- Gym membership",
    "Registered nurse experienced in patient care, wound care and medication administration.",
]


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" in status.read()
    except FileNotFoundError:
        return True


def test_extraction_processes_write_what_inline_extraction_writes_and_survive_a_crash(settings, trie_pipeline):
    edits = [make_edit("job" if i % 2 else "profile", f"x{i}", text, version=i + 1, title=f"t{i}")
             for i, text in enumerate(TEXTS * 3)]
    inline = InlineExtraction(trie_pipeline, max_chars=settings.pipeline.max_chars)
    expected = inline(edits)
    assert any(w.skills for w in expected)
    extraction = ExtractionProcess(settings, semantic=False, processes=2)
    try:
        assert extraction.model_version == trie_pipeline.model_version
        first = extraction.pids()
        assert len(set(first)) == 2 and os.getpid() not in first
        assert extraction(edits) == expected
        pending = [extraction.submit(edits[i:i + 2]) for i in range(0, len(edits), 2)]
        assert [w for p in pending for w in p.result()] == expected

        for pid in first:  # the kernel's OOM killer, say
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not all(gone(pid) for pid in first):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(ExtractionCrashed):
            extraction(edits)
        assert set(extraction.pids()).isdisjoint(first)
        assert extraction(edits) == expected
    finally:
        children = extraction.pids()
        extraction.close()
    assert all(gone(pid) for pid in children)

"""Named pipeline presets and a caller's switches over them (pure: no artifacts are loaded)."""

from __future__ import annotations

import pytest

from kgservice.errors import InvalidInput
from kgservice.pipeline.build import FULL, PRESETS, SERVING, TRIE_ONLY, WRITES, Preset, preset_named


@pytest.mark.parametrize("preset", list(PRESETS.values()))
def test_pipeline_presets_are_found_by_name(preset: Preset):
    assert preset_named(preset.name) is preset
    assert preset_named(preset) is preset


def test_pipeline_presets_unknown_name_says_which_exist():
    with pytest.raises(InvalidInput, match="unknown pipeline preset 'fast'.*'trie-only'"):
        preset_named("fast")


def test_pipeline_presets_switches_override_only_what_they_set():
    assert SERVING.semantic is None and SERVING.expansion is None  # the settings decide
    assert SERVING.switched(semantic=False) == Preset("serving", semantic=False)
    assert TRIE_ONLY.semantic is False
    assert WRITES.switched(expansion=False) == Preset("writes", expansion=False, expanded=False)
    assert FULL.switched() == FULL
    assert FULL.switched(semantic=False, expansion=None) == Preset("full", semantic=False, expansion=True)

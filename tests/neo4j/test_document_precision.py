"""What a product team saw on whole documents and small inputs, as shipped: one skill per concept,
no everyday words or employer blurbs as skills, named tools found (the full pipeline, shipped settings)."""

from __future__ import annotations

import pytest

from kgservice.pipeline.build import make_document


def names(pipeline, text: str, domain: str = "job") -> set[str]:  # noqa: ANN001 - Pipeline
    return {s.name for s in pipeline(make_document(text, domain)).skills}


def test_document_one_skill_per_concept(full_pipeline) -> None:
    doc = full_pipeline(make_document(open("examples/job_posting.txt", encoding="utf-8").read(), "job"))
    found = [s.name.split(" (")[0].casefold() for s in doc.skills]
    assert "swift" in found and found.count("swift") == 1, found
    assert sum(n.startswith("communication") for n in found) <= 1, found
    swift = next(s for s in doc.skills if s.name.startswith("Swift"))
    assert swift.taxonomy == "esco" and any(i.startswith("lightcast:") for i in swift.also_in)


@pytest.mark.parametrize(("text", "never"), [
    ("About us\nWe build payment software for banks.\n\nRequirements\n- Python and SQL\n\n"
     "Benefits\n- A learning budget and a ping pong table", {"Budgeting", "banking", "economics", "Banking",
                                                             "Ping (Networking Utility)", "manage budgets"}),
    ("Our tool costs less than the alternatives.", {"LESS"}),
    ("Responsibilities\n- Design new features with the product team", {"think creatively"}),
    ("Data engineer at Beta Bank, loading data into a Teradata warehouse.", {"Banking", "Warehousing"}),
    ("Requirements\n- Docker and Kubernetes\n- Tableau dashboards\n- JS and TypeScript",
     {"dock operations", "arrange tables", "JSSS", "Jboss"}),
    ("Strong knowledge of REST APIs, JSON and Git", {"Jboss"}),
])
def test_document_everyday_words_are_not_skills(full_pipeline, text: str, never: set[str]) -> None:
    found = names(full_pipeline, text)
    assert not found & never, found & never


@pytest.mark.parametrize(("text", "wanted"), [
    ("Requirements\n- Docker and Kubernetes\n- Tableau dashboards\n- JS and TypeScript",
     {"Docker (Software)", "Kubernetes", "Tableau (Business Intelligence Software)", "JavaScript", "TypeScript"}),
    ("Strong knowledge of REST APIs, JSON and Git", {"RESTful API", "JSON", "Git (Version Control System)"}),
    ("Skills\nExcel, Word, AWS, GCP, k8s, MS Office", {"Microsoft Excel", "Amazon Web Services",
                                                       "Google Cloud Platform (GCP)", "Kubernetes", "Microsoft Office"}),
    ("About us\nWe build payment software for banks.\n\nRequirements\n- Python and SQL",
     {"Python (computer programming)", "SQL"}),
])
def test_document_named_skills_and_tools_are_found(full_pipeline, text: str, wanted: set[str]) -> None:
    assert wanted <= names(full_pipeline, text)


def test_document_company_and_benefits_carry_no_skills_without_a_named_mention(full_pipeline) -> None:
    text = ("About us\nWe are a fintech that builds budgeting software for banks and insurers.\n\n"
            "Requirements\n- Python and SQL\n\nBenefits\n- Learning budget, gym and a ping pong table")
    doc = full_pipeline(make_document(text, "job"))
    assert {s.section for s in doc.skills} == {"qualifications"}, [(s.name, s.section) for s in doc.skills]

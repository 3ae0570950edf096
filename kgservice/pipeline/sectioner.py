"""Splits a document into typed sections ("qualifications", "benefits", ...).

The scorer weighs a skill by where it appears: "Python" under *Requirements* says far more about a
posting than "Python" in the company blurb. Two mechanisms decide the sections:

1. **Header rules.** Lines that look like headers (markdown ``#``/``**``, ALL CAPS, a trailing
   ``:``, a short title-like line, or an inline ``Requirements: ...`` label) are matched against a
   per-domain synonym list. A match opens a section of that kind (``source="header"``).
2. **Classifier fallback.** Text before the first header, under a header the rules don't know, or
   in documents without headers is cut into line blocks; a multinomial naive Bayes model labels
   each block and a Viterbi pass over the domain's kind-to-kind transitions smooths the labels,
   so one odd line does not split a section. Runs of one kind become one section
   (``source="classifier"``).

The model is a small JSON file of integer counts, ``kgservice/resources/sectioner_model.json``,
rebuilt deterministically from the labelled examples in ``tests/data/sections/`` with
``python -m kgservice.pipeline.sectioner train``. Sections always tile the text: every character
belongs to exactly one section. Empty text gets no sections (``()``); there is nothing to tile.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib.resources
import json
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from kgservice.document import Document, Domain, Section
from kgservice.pipeline.base import StageBase
from kgservice.text_normalizer import fold

# ---------------------------------------------------------------------------------------------
# Kinds and their weights

KINDS: Mapping[Domain, tuple[str, ...]] = MappingProxyType(
    {
        Domain.JOB: ("company", "responsibilities", "qualifications", "nice_to_have", "benefits", "other"),
        Domain.PROFILE: ("summary", "skills", "experience", "education", "certifications", "other"),
        Domain.COURSE: ("description", "objectives", "prerequisites", "other"),
        Domain.POST: ("post",),
    }
)

# How much a skill found in a section says about the document, in [0, 1]. Explicit requirements
# and skill lists are the document's own claim about skills (1.0); duties and work history imply
# the skill is used (0.8-0.9); preferences and summaries are softer (0.6-0.7); company blurbs and
# perks mostly describe the employer, not the role (0.1-0.2). Unknown kinds get the "other" weight.
SECTION_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "qualifications": 1.0,
        "skills": 1.0,
        "prerequisites": 1.0,
        "responsibilities": 0.9,
        "objectives": 0.9,
        "experience": 0.9,
        "certifications": 0.8,
        "post": 0.7,
        "summary": 0.7,
        "description": 0.7,
        "nice_to_have": 0.6,
        "education": 0.6,
        "other": 0.4,
        "company": 0.2,
        "benefits": 0.1,
    }
)


def section_weight(kind: str | None) -> float:
    """Returns how much a skill found in a section of ``kind`` counts; see ``SECTION_WEIGHTS``.

    Args:
        kind: A section kind, or None for text outside any section.

    Returns:
        A weight in [0, 1]; unknown kinds and None weigh like "other".
    """
    return SECTION_WEIGHTS.get(kind or "other", SECTION_WEIGHTS["other"])


# ---------------------------------------------------------------------------------------------
# Header synonyms

# Phrases are written naturally and normalized like header text (folded, punctuation -> space), so
# "what you'll do" also matches "What You’ll Do:". A kind of None marks generic headers ("Job
# description", "Overview") that open a section but say nothing about its kind: the classifier
# decides. The longest matching phrase wins, so "preferred qualifications" beats "qualifications".
_JOB_SYNONYMS: dict[str | None, tuple[str, ...]] = {
    "company": (
        "about", "about us", "about the company", "company", "company description", "company overview",
        "company profile", "who we are", "our company", "our story", "our mission", "mission",
        "the company", "our team", "about the team", "the team", "meet the team", "our culture",
        "culture", "why join us", "why us", "why work with us", "why work for us", "our values",
        "values", "the organisation", "the organization", "about the organisation",
        "about the organization", "organisation overview", "organization overview", "employer",
        "about the employer", "about the business", "our client", "the client", "about our client",
        "unternehmen", "über uns", "qui sommes nous", "quienes somos", "sobre nosotros",
    ),
    "responsibilities": (
        "responsibilities", "key responsibilities", "main responsibilities", "job responsibilities",
        "duties", "duties and responsibilities", "responsibilities and duties", "key duties",
        "main duties", "essential duties", "essential functions", "essential duties and responsibilities",
        "job duties", "what you ll do", "what you will do", "what you ll be doing", "what you will be doing",
        "what you ll work on", "what you will work on", "what you ll be working on", "you will",
        "in this role you will", "in this role", "your role", "the role", "about the role",
        "role description", "role overview", "role summary", "the job", "about the job",
        "about the position", "the position", "position summary", "position overview",
        "your responsibilities", "your mission", "the opportunity", "your impact", "impact",
        "day to day", "a day in the life", "your day to day", "tasks", "your tasks", "key tasks",
        "key accountabilities", "accountabilities", "scope", "scope of role", "what the job involves",
        "the work", "what you ll be responsible for", "you will be responsible for",
        "what we need you to do", "main purpose of the role", "purpose of the role",
        "aufgaben", "ihre aufgaben", "deine aufgaben", "missions", "vos missions", "responsabilidades",
        "funciones",
    ),
    "qualifications": (
        "qualifications", "requirements", "job requirements", "minimum qualifications",
        "basic qualifications", "required qualifications", "minimum requirements", "key requirements",
        "essential requirements", "essential criteria", "essential", "essential skills",
        "essential qualifications", "must have", "must haves", "must have skills", "what we re looking for",
        "what we are looking for", "who we re looking for", "who we are looking for",
        "what you ll need", "what you will need", "what you need", "what you bring",
        "what you ll bring", "what you will bring", "what we need", "who you are", "about you",
        "you are", "you have", "you ll have", "you will have", "you should have", "your profile",
        "profile", "your background", "your skills", "skills", "required skills", "key skills",
        "skills and experience", "skills and qualifications", "experience and qualifications",
        "qualifications and experience", "knowledge skills and abilities", "skills and abilities",
        "experience", "required experience", "education and experience", "experience required",
        "competencies", "person specification", "candidate profile", "ideal candidate",
        "the ideal candidate", "our ideal candidate", "the candidate", "skills required",
        "requirements and qualifications", "to be successful", "to succeed in this role",
        "what it takes", "what makes you a great fit", "is this you", "eligibility",
        "licenses and certifications", "certifications", "qualifikationen", "ihr profil",
        "dein profil", "anforderungen", "profil recherche", "votre profil", "requisitos",
    ),
    "nice_to_have": (
        "nice to have", "nice to haves", "nice to have skills", "bonus", "bonus points",
        "bonus points if", "bonus points if you have", "preferred", "preferred qualifications",
        "preferred skills", "preferred experience", "preferred requirements", "desirable",
        "desirable criteria", "desirable skills", "desired skills", "desired qualifications",
        "desired experience", "it would be great if", "it d be great if", "it would be nice if",
        "plus", "pluses", "a plus", "extra credit", "even better if", "great to have",
        "good to have", "additional qualifications", "ideally", "ideally you ll have",
        "ideally you have", "optional", "not required but helpful", "we d love it if",
        "we would love it if", "stand out", "you ll stand out if", "what sets you apart",
        "wuenschenswert", "von vorteil", "atouts", "deseable",
    ),
    "benefits": (
        "benefits", "perks", "perks and benefits", "benefits and perks", "what we offer",
        "what we can offer", "what we can offer you", "we offer", "what you ll get", "what you get",
        "what you will get", "what s in it for you", "whats in it for you", "why you ll love it here",
        "why you ll love working here", "why join", "compensation", "compensation and benefits",
        "salary", "salary and benefits", "pay", "pay and benefits", "rewards", "total rewards",
        "reward", "package", "the package", "our offer", "the offer", "in return",
        "in return we offer", "in return you ll get", "we provide", "what we provide",
        "what we give you", "our benefits", "employee benefits", "remuneration", "pay range",
        "salary range", "compensation range", "wir bieten", "was wir bieten", "avantages",
        "ce que nous offrons", "beneficios", "ofrecemos",
    ),
    "other": (
        "location", "job location", "work location", "how to apply", "to apply", "application process",
        "apply", "equal opportunity", "equal opportunity employer", "eeo statement", "diversity",
        "diversity and inclusion", "diversity equity and inclusion", "our commitment to diversity",
        "job details", "job type", "employment type", "schedule", "working hours", "hours", "shift",
        "contract", "contract type", "start date", "reports to", "reporting to", "closing date",
        "deadline", "contact", "recruitment process", "hiring process", "interview process",
        "next steps", "accommodations", "reasonable accommodations", "travel", "additional information",
        "additional info", "other information", "notes", "disclaimer", "visa sponsorship",
    ),
    None: (
        "job description", "description", "overview", "summary", "job summary", "details",
        "introduction", "position description", "general", "about this opportunity",
    ),
}

_PROFILE_SYNONYMS: dict[str | None, tuple[str, ...]] = {
    "summary": (
        "summary", "professional summary", "career summary", "executive summary", "profile",
        "professional profile", "personal profile", "career profile", "about", "about me", "objective",
        "career objective", "professional objective", "objectives", "overview", "introduction",
        "personal statement", "highlights", "career highlights", "summary of qualifications",
        "qualifications summary", "bio", "biography", "who i am", "profil", "resume", "resumen",
        "a propos", "uber mich", "über mich", "headline",
    ),
    "skills": (
        "skills", "key skills", "core skills", "technical skills", "tech skills", "hard skills",
        "soft skills", "skill set", "skillset", "skills and tools", "skills and expertise",
        "areas of expertise", "expertise", "core competencies", "competencies", "key competencies",
        "competences", "compétences", "technologies", "tech stack", "tools", "tools and technologies",
        "technical proficiencies", "proficiencies", "programming languages", "languages",
        "language skills", "strengths", "capabilities", "abilities", "specialties", "specialities",
        "computer skills", "it skills", "software", "knowledge", "kenntnisse", "fahigkeiten",
        "fähigkeiten", "habilidades", "aptitudes", "languages and tools", "frameworks",
        "skills summary", "technical expertise", "additional skills",
    ),
    "experience": (
        "experience", "work experience", "professional experience", "employment history",
        "employment", "work history", "career history", "relevant experience", "career",
        "professional background", "positions held", "experience highlights", "projects",
        "key projects", "selected projects", "personal projects", "side projects", "project experience",
        "volunteer experience", "volunteering", "volunteer work", "internships", "internship",
        "internship experience", "teaching experience", "research experience", "leadership experience",
        "clinical experience", "military experience", "freelance", "freelance work",
        "berufserfahrung", "expérience professionnelle", "experience professionnelle", "experiencia",
        "experiencia laboral", "other experience", "additional experience", "work",
    ),
    "education": (
        "education", "education and training", "academic background", "academic history",
        "academics", "educational background", "qualifications", "academic qualifications",
        "degrees", "studies", "schooling", "coursework", "relevant coursework", "ausbildung",
        "formation", "educación", "educacion", "formación", "formacion", "thesis", "dissertation",
    ),
    "certifications": (
        "certifications", "certificates", "certification", "licenses", "licences",
        "licenses and certifications", "licences and certifications", "certifications and licenses",
        "professional certifications", "accreditations", "credentials", "courses", "training",
        "professional development", "continuing education", "courses and certifications",
        "professional qualifications", "zertifikate", "zertifizierungen", "certificaciones",
        "weiterbildung",
    ),
    "other": (
        "awards", "honors", "honours", "awards and honors", "achievements", "accomplishments",
        "publications", "presentations", "patents", "interests", "hobbies", "hobbies and interests",
        "personal interests", "references", "referees", "contact", "contact information",
        "contact details", "personal details", "personal information", "memberships",
        "affiliations", "professional affiliations", "activities", "extracurricular activities",
        "additional information", "portfolio", "links",
    ),
    None: (),
}

_COURSE_SYNONYMS: dict[str | None, tuple[str, ...]] = {
    "description": (
        "description", "course description", "about this course", "about the course", "overview",
        "course overview", "course summary", "summary", "introduction", "about", "syllabus",
        "course outline", "outline", "course content", "content", "contents", "topics",
        "topics covered", "what s covered", "whats covered", "what this course covers",
        "modules", "course modules", "curriculum", "course structure", "structure", "lessons", "units",
        "programme", "program", "about this program",
        "about this programme", "program overview", "what s inside", "whats inside", "in this course",
        "kursbeschreibung", "descripcion", "contenido", "contenu",
    ),
    "objectives": (
        "objectives", "learning objectives", "course objectives", "learning outcomes",
        "course outcomes", "outcomes", "intended learning outcomes", "what you ll learn",
        "what you will learn", "you will learn", "you ll learn", "skills you ll gain",
        "skills you will gain", "skills gained", "what you ll gain", "goals", "course goals",
        "learning goals", "aims", "course aims", "by the end of this course",
        "by the end of the course", "at the end of this course", "upon completion",
        "after this course", "after completing this course", "upon successful completion",
        "key takeaways", "takeaways", "what you ll be able to do", "what you will be able to do",
        "competencies", "lernziele", "objectifs", "objetivos",
    ),
    "prerequisites": (
        "prerequisites", "pre requisites", "prerequisite", "requirements", "course requirements",
        "entry requirements", "before you start", "before you begin", "what you need",
        "what you ll need", "what you need to know", "required knowledge", "prior knowledge",
        "assumed knowledge", "background", "recommended background", "recommended experience",
        "preparation", "recommended preparation", "is this course right for you", "eligibility",
        "voraussetzungen", "prerequis", "prérequis", "requisitos",
    ),
    "other": (
        "instructor", "instructors", "about the instructor", "about the instructors", "your instructor",
        "taught by", "teacher", "faculty", "assessment", "assessments", "grading", "evaluation",
        "certificate", "certification", "fees", "price", "pricing", "cost", "tuition", "duration",
        "dates", "enrollment", "enrolment", "how to enroll", "how to enrol", "reviews", "testimonials",
        "faq", "faqs", "frequently asked questions", "materials", "textbook", "textbooks",
        "required reading", "reading list", "resources", "credits", "contact", "policies",
        "course policies", "who this course is for", "who is this course for", "audience",
        "target audience", "who should attend", "language", "accessibility", "format", "course format",
        "schedule", "weekly schedule", "delivery", "location", "time commitment",
    ),
    None: (),
}

# Words that decorate a header without changing its meaning; they don't count against coverage,
# so "Our Benefits" is a header while "Benefits administration" (a duty) is not.
_FILLER = frozenset(
    {"our", "the", "your", "my", "key", "core", "main", "and", "a", "an", "of", "for", "this", "role",
     "position", "job", "you", "here", "s", "additional", "relevant", "professional", "general", "list"}
)

_NORM_NON_WORD = re.compile(r"[^\w]+")


def _header_tokens(text: str) -> tuple[str, ...]:
    folded = fold(text).replace("&", " and ").replace("_", " ")
    return tuple(t for t in _NORM_NON_WORD.split(folded) if t)


@dataclass(frozen=True, slots=True)
class _PhraseTable:
    """Header phrases of one domain, indexed by first token for a fast scan of each line."""

    by_first: Mapping[str, tuple[tuple[tuple[str, ...], str | None], ...]]

    @classmethod
    def build(cls, synonyms: Mapping[str | None, Sequence[str]]) -> _PhraseTable:
        index: dict[str, list[tuple[tuple[str, ...], str | None]]] = defaultdict(list)
        seen: set[tuple[str, ...]] = set()
        for kind, phrases in synonyms.items():
            for phrase in phrases:
                toks = _header_tokens(phrase)
                # First listing wins, so a phrase shared by two kinds keeps its first meaning.
                if toks and toks not in seen:
                    seen.add(toks)
                    index[toks[0]].append((toks, kind))
        return cls({k: tuple(sorted(v, key=lambda p: -len(p[0]))) for k, v in index.items()})

    def match(self, tokens: Sequence[str]) -> tuple[str | None, float] | None:
        """Returns (kind, coverage) of the longest phrase inside ``tokens``, or None."""
        best: tuple[int, int, str | None] | None = None
        for i, tok in enumerate(tokens):
            for phrase, kind in self.by_first.get(tok, ()):
                n = len(phrase)
                if tuple(tokens[i : i + n]) == phrase:
                    # Ties go to the later phrase: English headers end in their head noun
                    # ("Program Outcomes", "Education & Certifications").
                    if best is None or n >= best[0]:
                        best = (n, i, kind)
                    break  # phrases are sorted longest first
        if best is None:
            return None
        n, i, kind = best
        rest = [t for j, t in enumerate(tokens) if not i <= j < i + n]
        content = n + sum(1 for t in rest if t not in _FILLER)
        return kind, n / content


_PHRASES: Mapping[Domain, _PhraseTable] = MappingProxyType(
    {
        Domain.JOB: _PhraseTable.build(_JOB_SYNONYMS),
        Domain.PROFILE: _PhraseTable.build(_PROFILE_SYNONYMS),
        Domain.COURSE: _PhraseTable.build(_COURSE_SYNONYMS),
    }
)

# ---------------------------------------------------------------------------------------------
# Header detection

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_BULLET = re.compile(r"^(?:[-*+•·▪◦‣●○■□➢►▶→✓✔☐–—]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_MARKDOWN = re.compile(r"^#{1,6}\s*(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^(\*\*|__)(.+?)\1\s*:?\s*$")
_BOLD_INLINE = re.compile(r"^(\*\*|__)([^*_\n]{2,60}?)\s*:?\s*\1(?:\s*:)?(?=\s+\S)")
_INLINE = re.compile(r"^([^:\n]{2,50}?)\s*[:：]\s+(?=\S)")
_END_PUNCT = re.compile(r"[.,;!?]$")
_MAX_HEADER_CHARS = 80
_BLANK_LINE = re.compile(r"(?:\r\n|\r|\n)[ \t]*(?:\r\n|\r|\n)\s*")


@dataclass(frozen=True, slots=True)
class _Header:
    """A header line: where its section starts, its own span, and its kind (None: unknown)."""

    line_start: int
    span: tuple[int, int]
    kind: str | None
    recognized: bool
    # "Requirements: 3 years of ..." labels its own paragraph only, not everything up to the next
    # header, so a following unlabelled paragraph goes to the classifier.
    inline: bool = False


def _lines(text: str) -> Iterator[tuple[int, int, int]]:
    """Yields (start, content_end, end) per line; ``end`` includes the line break."""
    pos = 0
    n = len(text)
    while pos < n:
        m = _LINE.match(text, pos)
        assert m is not None  # the pattern matches the empty string
        end = m.end()
        content_end = end
        while content_end > pos and text[content_end - 1] in "\r\n":
            content_end -= 1
        yield pos, content_end, end
        if end == pos:  # pragma: no cover - only at end of text
            break
        pos = end


def _detect_header(text: str, start: int, end: int, table: _PhraseTable) -> _Header | None:
    """Decides whether the line ``text[start:end]`` is a header, and of which kind."""
    raw = text[start:end]
    stripped = raw.strip()
    if not stripped:
        return None
    lead = start + (len(raw) - len(raw.lstrip()))
    span_end = lead + len(stripped)

    bold_inline = _BOLD_INLINE.match(stripped)
    if len(stripped) > _MAX_HEADER_CHARS and not bold_inline:
        return _detect_inline(stripped, lead, start, table)

    md = _MARKDOWN.match(stripped) if stripped.startswith("#") else None
    bold = _BOLD_LINE.match(stripped)
    bullet = _BULLET.match(stripped)
    if md:
        label, strong = md.group(1), True
    elif bold:
        label, strong = bold.group(2), True
    elif bold_inline:
        label = bold_inline.group(2)
        tokens = _header_tokens(label)
        found = table.match(tokens) if 0 < len(tokens) <= 8 else None
        if found and found[1] >= 0.5:
            return _Header(start, (lead, lead + bold_inline.end()), found[0], True, inline=True)
        return None
    elif bullet:
        return None
    else:
        label, strong = stripped, False

    label = label.strip().strip("*_").strip()
    colon = label.endswith((":", "：", " -", " –"))
    label = label.rstrip(":： -–").strip()
    tokens = _header_tokens(label)
    if not tokens or len(tokens) > 12:
        return None if not colon else _detect_inline(stripped, lead, start, table)
    letters = [c for c in label if c.isalpha()]
    caps = len(letters) >= 3 and all(c.isupper() for c in letters if c.isalpha() and c.lower() != c.upper())
    found = table.match(tokens)

    if strong or caps:
        if found and found[1] >= 0.34:
            return _Header(start, (lead, span_end), found[0], True)
        # An unknown but clearly formatted header still ends the previous section.
        if len(tokens) <= 6 and "," not in label:
            return _Header(start, (lead, span_end), None, False)
        return None
    if colon:
        if found and found[1] >= 0.34:
            return _Header(start, (lead, span_end), found[0], True)
        if len(tokens) <= 4 and label[:1].isupper():
            return _Header(start, (lead, span_end), None, False)
        return None
    # A plain short line: only a header when it is (nearly) nothing but a known phrase.
    if len(tokens) <= 5 and not _END_PUNCT.search(stripped) and found and found[1] >= 0.6:
        return _Header(start, (lead, span_end), found[0], True)
    return _detect_inline(stripped, lead, start, table)


def _detect_inline(stripped: str, lead: int, start: int, table: _PhraseTable) -> _Header | None:
    """Recognizes "Requirements: 5 years of ..." where a known label opens the line."""
    if _BULLET.match(stripped):
        return None
    m = _INLINE.match(stripped)
    if not m:
        return None
    tokens = _header_tokens(m.group(1))
    if not 0 < len(tokens) <= 5:
        return None
    found = table.match(tokens)
    if found and found[1] >= 0.6 and found[0] is not None:
        return _Header(start, (lead, lead + m.end(1) + 1), found[0], True, inline=True)
    return None


def find_headers(text: str, domain: Domain) -> tuple[_Header, ...]:
    """Returns the header lines of ``text`` in order (recognized or merely formatted)."""
    table = _PHRASES.get(domain)
    if table is None:
        return ()
    headers = []
    for start, content_end, _ in _lines(text):
        header = _detect_header(text, start, content_end, table)
        if header is not None:
            headers.append(header)
    return tuple(headers)


# ---------------------------------------------------------------------------------------------
# Classifier: blocks, features, naive Bayes + Viterbi

_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_MAX_BLOCK_CHARS = 400
_MAX_TOKENS = 120
# Each cue's pattern, and the substrings of which a match must contain one (in the lowercased text;
# _DIGIT: a digit; None: no guard). Python's regex engine tries every start position, ~10-40 us
# per pattern and block on these machines, and a block rarely has a cue, so where a guard holds no
# substring the pattern cannot match and is not run. Guards are read off the patterns by hand and
# only hold for ASCII text (case-insensitive matching folds a few non-ASCII letters onto ASCII
# ones, e.g. the Kelvin sign onto k), so other text runs every pattern; tests/unit/test_sectioner.py
# checks the guarded features against the unguarded ones.
_DIGIT = "<digit>"
_CUES: tuple[tuple[str, re.Pattern[str], tuple[str, ...] | None], ...] = (
    ("years", re.compile(r"\b\d+\s*\+?\s*(?:-\s*\d+\s*)?(?:years?|yrs)\b", re.I), (_DIGIT,)),
    ("date_range", re.compile(
        r"\b(?:19|20)\d\d\s*(?:-|–|—|to)\s*(?:(?:19|20)\d\d|present|current|now|today)\b"
        r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:19|20)\d\d\b", re.I), (_DIGIT,)),
    ("year", re.compile(r"\b(?:19|20)\d\d\b"), (_DIGIT,)),
    ("degree", re.compile(
        r"\b(?:bachelor|master|phd|ph\.d|mba|b\.?sc|m\.?sc|b\.?a\.|m\.?a\.|degree|diploma|university|college)\b",
        re.I), ("bachelor", "master", "phd", "ph.d", "mba", "sc", "a.", "degree", "diploma", "university", "college")),
    ("we_offer", re.compile(r"\b(?:we offer|you(?:'|’)ll get|we provide|we give|you will receive)\b", re.I),
     ("we offer", "ll get", "we provide", "we give", "you will receive")),
    ("money", re.compile(r"[$€£¥]\s*\d|\b\d+k\b|\bsalary\b|\bper (?:hour|year|annum)\b", re.I),
     (_DIGIT, "salary", "per ")),
    ("we", re.compile(r"\b(?:we|our|us)\b", re.I), ("we", "our", "us")),
    ("you_will", re.compile(r"\byou(?:'|’)?ll\b|\byou will\b", re.I), ("you",)),
    ("you_have", re.compile(r"\byou (?:have|are|bring|know)\b|\bexperience (?:in|with)\b", re.I),
     ("you ", "experience ")),
    ("i", re.compile(r"\b(?:i|my|me)\b"), None),
    ("email", re.compile(r"\S+@\S+\.\w+|\+?\d[\d ()-]{7,}\d|linkedin\.com|github\.com", re.I),
     ("@", _DIGIT, "linkedin.com", "github.com")),
    ("certified", re.compile(r"\bcertifi(?:ed|cate|cation)\b|\blicen[sc]e", re.I), ("certifi", "licen")),
    ("plus", re.compile(r"\b(?:a plus|is a plus|bonus|nice to have|preferred|desirable|ideally)\b", re.I),
     ("a plus", "bonus", "nice to have", "preferred", "desirable", "ideally")),
    ("will_learn", re.compile(r"\b(?:learn|students will|learners will|be able to|understand)\b", re.I),
     ("learn", "students will", "be able to", "understand")),
    ("pipe", re.compile(r"[|·•,;]"), None),
)
_ANY_DIGIT = re.compile(r"\d")


def _cues(head: str) -> list[str]:
    """The names of the cues found in ``head``."""
    if not head.isascii():
        return [name for name, pattern, _ in _CUES if pattern.search(head)]
    low = head.lower()
    digit = _ANY_DIGIT.search(head) is not None
    return [name for name, pattern, guard in _CUES
            if (guard is None or any(digit if g is _DIGIT else g in low for g in guard)) and pattern.search(head)]


def _stem(token: str) -> str:
    # Crude on purpose: only has to group "requirements"/"requirement" for a small training set.
    if token.isdigit():
        return "<num>"
    if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def _features(block: str, rel_pos: float) -> list[str]:
    """Bag of features of one block: unigrams, bigrams, layout and cue flags, position."""
    stripped = block.strip()
    tokens = [_stem(t) for t in _WORD.findall(fold(stripped[:2000]))][:_MAX_TOKENS]
    feats = list(tokens)
    feats.extend(f"{a}_{b}" for a, b in zip(tokens, tokens[1:]))
    if tokens:
        feats.append(f"^{tokens[0]}")
    n = len(tokens)
    feats.append("#len:" + ("1" if n <= 1 else "short" if n <= 4 else "mid" if n <= 12 else "long"))
    if _BULLET.match(stripped):
        feats.append("#bullet")
    if stripped.endswith(":"):
        feats.append("#colon")
    if stripped.endswith("."):
        feats.append("#period")
    feats.extend("#" + name for name in _cues(stripped[:2000]))
    feats.append(f"#pos{min(int(rel_pos * 5), 4)}")
    return feats


def _blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cuts ``text[start:end]`` into line blocks that tile it exactly.

    Blank lines join the block above; overlong lines are cut at sentence ends so one paragraph
    can change kind mid-way (resumes and course blurbs are often one long line per section).
    """
    spans: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        m = _LINE.match(text, pos, end)
        assert m is not None
        line_end = m.end() if m.end() > pos else end
        if text[pos:line_end].strip():
            if line_end - pos > _MAX_BLOCK_CHARS:
                spans.extend(_sentence_blocks(text, pos, line_end))
            else:
                spans.append((pos, line_end))
        elif spans:
            spans[-1] = (spans[-1][0], line_end)
        else:
            spans.append((pos, line_end))
        pos = line_end
    # Leading blank lines belong to the first block with text.
    if len(spans) > 1 and not text[spans[0][0] : spans[0][1]].strip():
        spans[1] = (spans[0][0], spans[1][1])
        del spans[0]
    return spans


def _sentence_blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start]
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.end() - cuts[-1] >= 40:
            cuts.append(m.end())
    # Text without sentence ends (a 2 MB blob) still gets bounded blocks.
    out: list[tuple[int, int]] = []
    for a, b in zip(cuts, [*cuts[1:], end]):
        while b - a > 4 * _MAX_BLOCK_CHARS:
            out.append((a, a + 2 * _MAX_BLOCK_CHARS))
            a += 2 * _MAX_BLOCK_CHARS
        if b > a:
            out.append((a, b))
    return out


@dataclass(frozen=True, slots=True)
class _DomainModel:
    """Naive Bayes log-probabilities plus kind transitions for one domain."""

    kinds: tuple[str, ...]
    vocab: Mapping[str, int]
    log_likelihood: np.ndarray  # (features, kinds)
    log_prior: np.ndarray  # (kinds,)
    log_start: np.ndarray  # (kinds,)
    log_trans: np.ndarray  # (kinds, kinds), from row to column
    emission_scale: float

    @classmethod
    def from_counts(cls, data: Mapping[str, object]) -> _DomainModel:
        kinds = tuple(data["kinds"])  # type: ignore[arg-type]
        k = len(kinds)
        alpha = float(data["alpha"])  # type: ignore[arg-type]
        counts: Mapping[str, list[int]] = data["counts"]  # type: ignore[assignment]
        vocab = {f: i for i, f in enumerate(sorted(counts))}
        matrix = np.zeros((len(vocab), k))
        for feat, pairs in counts.items():
            row = vocab[feat]
            for j in range(0, len(pairs), 2):
                matrix[row, pairs[j]] = pairs[j + 1]
        totals = matrix.sum(axis=0)
        log_likelihood = np.log(matrix + alpha) - np.log(totals + alpha * len(vocab))
        blocks = np.asarray(data["block_counts"], dtype=float) + 1.0
        start = np.asarray(data["start_counts"], dtype=float) + 1.0
        trans = np.asarray(data["transition_counts"], dtype=float) + 1.0
        return cls(
            kinds=kinds,
            vocab=vocab,
            log_likelihood=log_likelihood,
            log_prior=np.log(blocks / blocks.sum()),
            log_start=np.log(start / start.sum()),
            log_trans=np.log(trans / trans.sum(axis=1, keepdims=True)),
            emission_scale=float(data["emission_scale"]),  # type: ignore[arg-type]
        )

    def emissions(self, feature_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Per-block log-scores over kinds, scaled so long blocks don't drown the transitions."""
        out = np.empty((len(feature_lists), len(self.kinds)))
        for i, feats in enumerate(feature_lists):
            rows = [self.vocab[f] for f in feats if f in self.vocab]
            score = self.log_likelihood[rows].sum(axis=0) if rows else np.zeros(len(self.kinds))
            out[i] = self.log_prior + self.emission_scale * score / math.sqrt(max(len(rows), 1))
        return out

    def decode(self, feature_lists: Sequence[Sequence[str]]) -> list[str]:
        """Most likely kind per block (Viterbi over the learned kind transitions)."""
        if not feature_lists:
            return []
        emit = self.emissions(feature_lists)
        n, k = emit.shape
        back = np.zeros((n, k), dtype=np.int64)
        score = self.log_start + emit[0]
        for i in range(1, n):
            cand = score[:, None] + self.log_trans
            back[i] = cand.argmax(axis=0)
            score = cand[back[i], np.arange(k)] + emit[i]
        path = [int(score.argmax())]
        for i in range(n - 1, 0, -1):
            path.append(int(back[i, path[-1]]))
        path.reverse()
        return [self.kinds[j] for j in path]


MODEL_VERSION = 1


def default_model_path() -> Path:
    """Path of the committed model, next to the package's other resources."""
    return Path(str(importlib.resources.files("kgservice") / "resources" / "sectioner_model.json"))


@functools.lru_cache(maxsize=4)
def load_model(path: str | None = None) -> Mapping[Domain, _DomainModel]:
    """Loads (once per process and path) the classifier for each domain that has one."""
    raw = json.loads(Path(path or default_model_path()).read_text(encoding="utf-8"))
    if raw.get("version") != MODEL_VERSION:
        raise ValueError(f"sectioner model version {raw.get('version')} != {MODEL_VERSION}; rerun training")
    return MappingProxyType({Domain(d): _DomainModel.from_counts(m) for d, m in raw["domains"].items()})


# ---------------------------------------------------------------------------------------------
# The stage


class Sectioner(StageBase):
    """Splits ``doc.text`` into kind-labelled sections that tile it.

    Requires: nothing.
    Assigns: ``sections``.

    Args:
        use_headers: Apply the header rules (off only for benchmarking the classifier alone).
        use_classifier: Label header-less text with the classifier; when off such text is "other".
        model_path: A model file other than the committed one.
    """

    name = "sectioner"
    requires: frozenset[str] = frozenset()
    assigns: frozenset[str] = frozenset({"sections"})

    def __init__(self, use_headers: bool = True, use_classifier: bool = True, model_path: str | None = None):
        self.use_headers = use_headers
        self.use_classifier = use_classifier
        self.model_path = model_path

    def __call__(self, doc: Document) -> Document:
        return dataclasses.replace(doc, sections=self.predict(doc.text, doc.domain))

    def predict(self, text: str, domain: Domain) -> tuple[Section, ...]:
        """Computes the sections of ``text`` without touching a document.

        Args:
            text: The document text.
            domain: Decides the kinds and the header synonyms.

        Returns:
            Sections in order, tiling ``text``; ``()`` when ``text`` is empty.
        """
        if not text:
            return ()
        domain = Domain(domain)
        if domain is Domain.POST or domain not in _PHRASES:
            return (Section(KINDS.get(domain, ("other",))[0], 0, len(text), None, "whole"),)
        headers = find_headers(text, domain) if self.use_headers else ()
        # Regions: (start, end, kind or None for the classifier, header span).
        regions: list[tuple[int, int, str | None, tuple[int, int] | None]] = []
        first = headers[0].line_start if headers else len(text)
        if first > 0:
            regions.append((0, first, None, None))
        for i, h in enumerate(headers):
            end = headers[i + 1].line_start if i + 1 < len(headers) else len(text)
            if h.inline:
                gap = _BLANK_LINE.search(text, h.span[1], end)
                if gap and text[gap.end() : end].strip():
                    regions.append((h.line_start, gap.end(), h.kind, h.span))
                    regions.append((gap.end(), end, None, None))
                    continue
            regions.append((h.line_start, end, h.kind if h.recognized else None, h.span))
        sections: list[Section] = []
        for start, end, kind, header in regions:
            if kind is not None:
                sections.append(Section(kind, start, end, header, "header"))
            else:
                sections.extend(self._classify(text, start, end, domain, header))
        return tuple(sections)

    def _classify(
        self, text: str, start: int, end: int, domain: Domain, header: tuple[int, int] | None
    ) -> list[Section]:
        if not self.use_classifier:
            return [Section("other", start, end, header, "header" if header else "whole")]
        model = load_model(self.model_path)[domain]
        spans = _blocks(text, start, end)
        if header is not None and len(spans) > 1:
            # An unknown header says little on its own; judge it together with what it opens.
            spans[:2] = [(spans[0][0], spans[1][1])]
        total = max(len(text), 1)
        kinds = model.decode([_features(text[a:b], a / total) for a, b in spans])
        out: list[Section] = []
        for (a, b), kind in zip(spans, kinds):
            if out and out[-1].kind == kind:
                out[-1] = dataclasses.replace(out[-1], end=b)
            else:
                out.append(Section(kind, a, b, None, "classifier"))
        if header is not None and out:
            out[0] = dataclasses.replace(out[0], header=header)
        return out


# ---------------------------------------------------------------------------------------------
# Labelled examples and training


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled document: its text and gold (kind, start, end) spans tiling it."""

    id: str
    domain: Domain
    split: str
    text: str
    spans: tuple[tuple[str, int, int], ...]

    def kind_at(self) -> list[str]:
        """The gold kind of every character."""
        out: list[str] = []
        for kind, a, b in self.spans:
            out.extend([kind] * (b - a))
        return out


def load_examples(path: Path, domain: Domain) -> list[Example]:
    """Reads a ``tests/data/sections/<domain>.jsonl`` file.

    Each line is ``{"id", "split": "train"|"heldout", "blocks": [{"kind", "text"}, ...]}``; the
    document text is the blocks' texts concatenated, so gold offsets cannot drift from the text.
    """
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        spans, pos = [], 0
        for block in row["blocks"]:
            if block["kind"] not in KINDS[domain]:
                raise ValueError(f"{row['id']}: kind {block['kind']!r} is not a {domain} kind")
            spans.append((block["kind"], pos, pos + len(block["text"])))
            pos += len(block["text"])
        text = "".join(b["text"] for b in row["blocks"])
        examples.append(Example(row["id"], domain, row["split"], text, tuple(spans)))
    return examples


def default_data_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "tests" / "data" / "sections"


def _gold_block_kinds(example: Example, blocks: Iterable[tuple[int, int]]) -> list[str]:
    labels = example.kind_at()
    out = []
    for a, b in blocks:
        chunk = example.text[a:b]
        first = a + (len(chunk) - len(chunk.lstrip()))  # the kind where the block's text starts
        out.append(labels[min(first, b - 1)])
    return out


def train_counts(examples: Sequence[Example], kinds: Sequence[str], alpha: float = 0.1,
                 emission_scale: float = 3.0) -> dict[str, object]:
    """Counts features per kind and kind transitions over whole training documents."""
    index = {k: i for i, k in enumerate(kinds)}
    feature_counts: dict[str, Counter[int]] = defaultdict(Counter)
    block_counts = [0] * len(kinds)
    start_counts = [0] * len(kinds)
    trans = [[0] * len(kinds) for _ in kinds]
    for ex in examples:
        spans = _blocks(ex.text, 0, len(ex.text))
        gold = [index[k] for k in _gold_block_kinds(ex, spans)]
        total = max(len(ex.text), 1)
        for (a, b), y in zip(spans, gold):
            block_counts[y] += 1
            for f in _features(ex.text[a:b], a / total):
                feature_counts[f][y] += 1
        if gold:
            start_counts[gold[0]] += 1
        for p, q in zip(gold, gold[1:]):
            trans[p][q] += 1
    # Features seen once are mostly noise and would bloat the committed file.
    counts = {
        f: [x for j in sorted(c) for x in (j, c[j])]
        for f, c in sorted(feature_counts.items())
        if sum(c.values()) >= 2 or not f.count("_") and not f.startswith(("#", "^"))
    }
    return {
        "kinds": list(kinds),
        "alpha": alpha,
        "emission_scale": emission_scale,
        "counts": counts,
        "block_counts": block_counts,
        "start_counts": start_counts,
        "transition_counts": trans,
    }


def train(data_dir: Path, out: Path) -> dict[str, int]:
    """Trains one model per domain on the ``split == "train"`` examples and writes ``out``.

    Returns:
        Number of training documents per domain.
    """
    domains: dict[str, object] = {}
    sizes: dict[str, int] = {}
    for domain in (Domain.JOB, Domain.PROFILE, Domain.COURSE):
        examples = [e for e in load_examples(data_dir / f"{domain}.jsonl", domain) if e.split == "train"]
        domains[str(domain)] = train_counts(examples, KINDS[domain])
        sizes[str(domain)] = len(examples)
    payload = {"version": MODEL_VERSION, "domains": domains}
    out.parent.mkdir(parents=True, exist_ok=True)
    # Sorted keys, integer counts and no timestamps keep the file byte-identical across runs.
    out.write_text(json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n",
                   encoding="utf-8")
    load_model.cache_clear()
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m kgservice.pipeline.sectioner train [--data DIR] [--out PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m kgservice.pipeline.sectioner")
    sub = parser.add_subparsers(dest="command", required=True)
    p_train = sub.add_parser("train", help="rebuild the classifier model from labelled examples")
    p_train.add_argument("--data", type=Path, default=default_data_dir())
    p_train.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "train":
        out = args.out or default_model_path()
        sizes = train(args.data, out)
        print(f"wrote {out} ({out.stat().st_size} bytes) from train documents {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

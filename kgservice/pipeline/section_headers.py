"""Section kinds, their weights, and the header rules that open sections.

Lines that look like headers (markdown ``#``/``**``, ALL CAPS, a trailing ``:``, a short title-like
line, or an inline ``Requirements: ...`` label) are matched against a per-domain synonym list; a match
opens a section of that kind. The weights say how much a skill found in a section says about the
document (:func:`section_weight`). The stage that uses them is :mod:`kgservice.pipeline.sectioner`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from kgservice.document import Domain
from kgservice.pipeline import section_headers_i18n as i18n
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
    def build(cls, *tables: Mapping[str | None, Sequence[str]]) -> _PhraseTable:
        index: dict[str, list[tuple[tuple[str, ...], str | None]]] = defaultdict(list)
        seen: set[tuple[str, ...]] = set()
        for kind, phrases in ((k, v) for synonyms in tables for k, v in synonyms.items()):
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
        content = n + sum(1 for t in rest if t not in _FILLER and t not in i18n.FILLER)
        return kind, n / content


HEADER_PHRASES: Mapping[Domain, _PhraseTable] = MappingProxyType(
    {
        # English first: a phrase English and another language share keeps its English kind.
        Domain.JOB: _PhraseTable.build(_JOB_SYNONYMS, i18n.PHRASES[Domain.JOB]),
        Domain.PROFILE: _PhraseTable.build(_PROFILE_SYNONYMS, i18n.PHRASES[Domain.PROFILE]),
        Domain.COURSE: _PhraseTable.build(_COURSE_SYNONYMS, i18n.PHRASES[Domain.COURSE]),
    }
)

# ---------------------------------------------------------------------------------------------
# Header detection

LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
BULLET = re.compile(r"^(?:[-*+•·▪◦‣●○■□➢►▶→✓✔☐–—]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_MARKDOWN = re.compile(r"^#{1,6}\s*(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^(\*\*|__)(.+?)\1\s*:?\s*$")
_BOLD_INLINE = re.compile(r"^(\*\*|__)([^*_\n]{2,60}?)\s*:?\s*\1(?:\s*:)?(?=\s+\S)")
_INLINE = re.compile(r"^([^:\n]{2,50}?)\s*[:：]\s+(?=\S)")
_END_PUNCT = re.compile(r"[.,;!?]$")
_MAX_HEADER_CHARS = 80
BLANK_LINE = re.compile(r"(?:\r\n|\r|\n)[ \t]*(?:\r\n|\r|\n)\s*")


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
        m = LINE.match(text, pos)
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
    bullet = BULLET.match(stripped)
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
    if BULLET.match(stripped):
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
    table = HEADER_PHRASES.get(domain)
    if table is None:
        return ()
    headers = []
    for start, content_end, _ in _lines(text):
        header = _detect_header(text, start, content_end, table)
        if header is not None:
            headers.append(header)
    return tuple(headers)

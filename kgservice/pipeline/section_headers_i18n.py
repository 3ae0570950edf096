"""Section header phrases in German, French, Spanish, Dutch and Portuguese.

They join the English phrases of :mod:`kgservice.pipeline.section_headers` in one table per domain,
listed after them, so a phrase both languages share keeps its English kind. Written naturally;
matching folds case and accents ("Über uns" matches "uber uns"), so one spelling serves both.
Every English phrase keeps its kind in the merged tables (tests/unit/test_sectioner.py checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from kgservice.document import Domain

LANGUAGES = ("de", "fr", "es", "nl", "pt")

_JOB: dict[str | None, tuple[str, ...]] = {
    "company": (
        # de
        "über uns", "wer wir sind", "das unternehmen", "unser unternehmen", "über das unternehmen",
        "unternehmensprofil", "unser team", "das team", "unsere kultur", "unsere werte", "warum wir",
        # fr
        "à propos", "à propos de nous", "qui sommes-nous", "l'entreprise", "notre entreprise", "la société",
        "présentation de l'entreprise", "notre équipe", "l'équipe", "nos valeurs", "notre culture",
        # es
        "sobre la empresa", "acerca de nosotros", "la empresa", "nuestra empresa", "quiénes somos",
        "nuestro equipo", "el equipo", "nuestros valores", "nuestra cultura",
        # nl
        "over ons", "wie zijn wij", "wie we zijn", "het bedrijf", "ons bedrijf", "over het bedrijf",
        "de organisatie", "onze organisatie", "ons team", "het team", "onze cultuur", "onze waarden",
        # pt
        "sobre nós", "quem somos", "a empresa", "sobre a empresa", "a nossa empresa", "nossa empresa",
        "a nossa equipa", "nossa equipe", "a equipa", "a equipe", "os nossos valores", "nossos valores",
    ),
    "responsibilities": (
        "aufgaben", "ihre aufgaben", "deine aufgaben", "aufgabengebiet", "ihr aufgabengebiet",
        "tätigkeiten", "ihre tätigkeiten", "verantwortlichkeiten", "ihre verantwortung", "die stelle",
        "die position", "deine rolle", "ihre rolle", "was dich erwartet", "was sie erwartet",
        "stellenbeschreibung",
        "missions", "vos missions", "tes missions", "vos responsabilités", "responsabilités",
        "le poste", "descriptif du poste", "description du poste", "votre rôle", "ce que vous ferez",
        "vos tâches", "tâches",
        "responsabilidades", "tus responsabilidades", "sus responsabilidades", "funciones",
        "tus funciones", "sus funciones", "tareas", "tus tareas", "el puesto", "descripción del puesto",
        "tu rol", "qué harás",
        "taken", "jouw taken", "uw taken", "verantwoordelijkheden", "jouw verantwoordelijkheden",
        "de functie", "functieomschrijving", "over de functie", "jouw rol", "wat ga je doen",
        "wat ga je doen",
        "responsabilidades", "as suas responsabilidades", "suas responsabilidades", "funções",
        "as suas funções", "suas funções", "atividades", "principais atividades", "tarefas", "a função",
        "a vaga", "descrição da vaga", "o que vais fazer", "o que você vai fazer",
    ),
    "qualifications": (
        "anforderungen", "ihr profil", "dein profil", "qualifikationen", "was sie mitbringen",
        "was du mitbringst", "das bringst du mit", "das bringen sie mit", "voraussetzungen",
        "kenntnisse", "erfahrung", "kompetenzen", "anforderungsprofil",
        "profil recherché", "votre profil", "ton profil", "profil", "compétences", "compétences requises",
        "exigences", "qualifications requises", "expérience", "ce que nous recherchons",
        "requisitos", "tu perfil", "su perfil", "perfil", "perfil buscado", "requisitos mínimos",
        "qué buscamos", "lo que buscamos", "competencias", "experiencia", "conocimientos",
        "functie-eisen", "functieeisen", "eisen", "jouw profiel", "uw profiel", "profiel",
        "wat breng je mee", "wat vragen wij", "wat wij vragen", "wie ben jij", "vaardigheden",
        "kwalificaties", "ervaring", "competenties",
        "requisitos obrigatórios", "o seu perfil", "seu perfil", "o teu perfil", "perfil pretendido",
        "qualificações", "competências", "experiência", "o que procuramos", "conhecimentos",
    ),
    "nice_to_have": (
        "wünschenswert", "von vorteil", "nice to have", "idealerweise", "pluspunkte",
        "atouts", "serait un plus", "un plus", "souhaité", "apprécié",
        "deseable", "se valorará", "valorable", "requisitos deseables", "será un plus",
        "pré", "pluspunten", "een pré", "gewenst", "wenselijk",
        "diferenciais", "desejável", "requisitos desejáveis", "valorizamos", "será uma mais-valia",
    ),
    "benefits": (
        "wir bieten", "was wir bieten", "unser angebot", "benefits", "deine vorteile", "ihre vorteile",
        "vergütung", "gehalt",
        "avantages", "ce que nous offrons", "nous offrons", "nous vous offrons", "rémunération",
        "pourquoi nous rejoindre", "ce que nous proposons",
        "beneficios", "ofrecemos", "qué ofrecemos", "lo que ofrecemos", "te ofrecemos", "salario",
        "wij bieden", "wat wij bieden", "wat bieden wij", "ons aanbod", "arbeidsvoorwaarden", "salaris",
        "oferecemos", "o que oferecemos", "benefícios", "regalias", "remuneração", "salário",
    ),
    "other": (
        "bewerbung", "so bewirbst du dich", "kontakt", "standort", "arbeitsort",
        "candidature", "comment postuler", "lieu de travail", "localisation",
        "cómo aplicar", "ubicación", "lugar de trabajo",
        "solliciteren", "hoe solliciteer je", "standplaats", "locatie", "contact",
        "candidatura", "como candidatar", "localização", "local de trabalho",
    ),
    None: (
        "stellenangebot", "stellenanzeige", "offre d'emploi", "oferta de empleo", "vacature",
        "oferta de emprego",
    ),
}

_PROFILE: dict[str | None, tuple[str, ...]] = {
    "summary": (
        "zusammenfassung", "profil", "über mich", "kurzprofil", "résumé", "à propos de moi", "profil",
        "resumen", "sobre mí", "perfil profesional", "samenvatting", "over mij", "profiel",
        "resumo", "sobre mim", "perfil profissional",
    ),
    "skills": (
        "kenntnisse", "fähigkeiten", "kompetenzen", "fachkenntnisse", "it-kenntnisse", "sprachkenntnisse",
        "compétences", "compétences techniques", "langues", "habilidades", "competencias",
        "conocimientos", "idiomas", "vaardigheden", "competenties", "talen", "vaardigheden en kennis",
        "competências", "conhecimentos", "idiomas",
    ),
    "experience": (
        "berufserfahrung", "erfahrung", "werdegang", "beruflicher werdegang", "expérience",
        "expérience professionnelle", "parcours professionnel", "experiencia", "experiencia laboral",
        "experiencia profesional", "werkervaring", "ervaring", "loopbaan", "experiência",
        "experiência profissional", "percurso profissional",
    ),
    "education": (
        "ausbildung", "bildung", "studium", "bildungsweg", "formation", "études", "diplômes",
        "formación", "educación", "estudios", "opleiding", "opleidingen", "onderwijs",
        "formação", "educação", "formação académica", "formação acadêmica",
    ),
    "certifications": (
        "zertifikate", "zertifizierungen", "weiterbildung", "certifications", "certificats",
        "certificaciones", "certificados", "certificaten", "certificeringen", "cursussen",
        "certificações", "cursos",
    ),
    "other": (
        "interessen", "hobbys", "referenzen", "persönliche daten", "centres d'intérêt", "loisirs",
        "références", "intereses", "aficiones", "referencias", "interesses", "hobby's", "referenties",
        "interesses", "passatempos", "referências",
    ),
    None: (),
}

_COURSE: dict[str | None, tuple[str, ...]] = {
    "description": (
        "kursbeschreibung", "beschreibung", "inhalt", "kursinhalt", "inhalte", "überblick",
        "description", "description du cours", "contenu", "programme", "présentation",
        "descripción", "descripción del curso", "contenido", "temario", "programa",
        "beschrijving", "cursusbeschrijving", "inhoud", "overzicht",
        "descrição", "descrição do curso", "conteúdo", "conteúdos", "programa",
    ),
    "objectives": (
        "lernziele", "ziele", "was sie lernen", "was du lernst", "objectifs", "objectifs pédagogiques",
        "ce que vous apprendrez", "objetivos", "objetivos de aprendizaje", "qué aprenderás",
        "leerdoelen", "doelen", "wat je leert", "objetivos de aprendizagem", "o que vai aprender",
    ),
    "prerequisites": (
        "voraussetzungen", "vorkenntnisse", "prérequis", "pré-requis", "requisitos", "requisitos previos",
        "conocimientos previos", "vereisten", "voorkennis", "toelatingseisen", "pré-requisitos",
        "conhecimentos prévios",
    ),
    "other": (
        "dozent", "dozentin", "kosten", "dauer", "termine", "formateur", "tarif", "durée",
        "instructor", "precio", "duración", "docent", "kosten", "duur", "formador", "preço", "duração",
    ),
    None: (),
}

PHRASES: Mapping[Domain, Mapping[str | None, tuple[str, ...]]] = MappingProxyType(
    {Domain.JOB: _JOB, Domain.PROFILE: _PROFILE, Domain.COURSE: _COURSE}
)

# Words that decorate a header in these languages ("Ihre Aufgaben", "Vos missions"), as _FILLER does
# for English: they don't count against a phrase's coverage of its line. English words ("as") and
# single letters are left out, so no English line counts as a header that did not before.
FILLER = frozenset(
    """ihre ihr ihren deine dein unsere unser unseren die der das und für
    vos votre nos notre ton tes le la les et du de des
    tus tu sus su nuestros nuestras nuestro nuestra el los las y del
    jouw je uw onze ons de het en van
    os seu sua seus suas teu tua nosso nossa nossos nossas do da dos das""".split()
)


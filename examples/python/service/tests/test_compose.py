"""docker-compose.yml, Dockerfile and .env.template agree with the code and the tests.

`docker compose config` (or Debian's `docker-compose config`) validates the file (no Docker
engine is needed for that). Without it, the YAML is checked structurally with python3-yaml
and the test says so on stdout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import yaml

import support

COMPOSE = os.path.join(support.SERVICE_DIR, "docker-compose.yml")
DOCKERFILE = os.path.join(support.SERVICE_DIR, "Dockerfile")
TEMPLATE = os.path.join(support.SERVICE_DIR, ".env.template")


def compose_command() -> list[str] | None:
    """`docker compose` (the plugin) or Debian's `docker-compose`: either validates the file
    without a Docker engine."""
    if shutil.which("docker"):
        p = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if p.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_file_is_valid():
    cmd = compose_command()
    if cmd:
        p = subprocess.run(cmd + ["-f", COMPOSE, "config", "--quiet"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        out = subprocess.run(cmd + ["-f", COMPOSE, "config"], capture_output=True, text=True, timeout=60).stdout
        doc = yaml.safe_load(out)
        print(f"checked with `{' '.join(cmd)} config`")
    else:
        with open(COMPOSE) as fh:
            doc = yaml.safe_load(fh)
        print("no docker compose here: checked docker-compose.yml structurally with python3-yaml")
    services = doc["services"]
    assert set(services) == {"api", "worker", "redis", "postgres"}
    api, worker = services["api"], services["worker"]
    # the commands the tests run: `python3 -m cryptota_service` (test_api) and the worker of support.py
    assert list(api["command"]) == ["python3", "-m", "cryptota_service"]
    wcmd = list(worker["command"])
    assert wcmd[:4] == ["celery", "-A", "cryptota_service.worker", "worker"]
    for arg in support.WORKER_ARGS:
        assert arg in wcmd, arg
    for svc in (api, worker):
        env = svc["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        assert env["CRYPTOTA_DATA_DIR"] == "/data"
        # short form "src:/data" (compose v1 normalizes it to "src:/data:rw") or the long form
        assert any((isinstance(v, dict) and v.get("target") == "/data") or
                   re.search(r":/data(:r[wo])?$", str(v)) for v in svc["volumes"])
    # "8001:8001" or, normalized by compose, {"published": 8001, "target": 8001}
    ports = [str(p["target"]) if isinstance(p, dict) else str(p) for p in api["ports"]]
    assert any(p.endswith("8001") for p in ports)
    assert "redis-server" in " ".join(services["redis"]["command"])
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "cryptota"
    for dep in ("postgres", "redis"):
        assert dep in api["depends_on"]
    # the image is built from the repository root with this Dockerfile
    assert api["build"]["dockerfile"].endswith("examples/python/service/Dockerfile")


def test_dockerfile_installs_what_the_service_imports():
    text = open(DOCKERFILE).read()
    for pkg in ("python3-fastapi", "python3-uvicorn", "python3-sqlalchemy", "python3-psycopg2",
                "python3-celery", "python3-redis"):
        assert pkg in text, pkg
    assert 'CMD ["python3", "-m", "cryptota_service"]' in text
    assert "CRYPTOTA_LIB=" in text and "PYTHONPATH=" in text


def test_env_template_documents_every_key():
    src = open(os.path.join(support.SERVICE_DIR, "cryptota_service", "config.py")).read()
    used = set(re.findall(r'env(?:\.get)?\(\s*"([A-Z_]+)"', src))
    used |= set(re.findall(r'_(?:int|float|bool|url)\(env, "([A-Z_]+)"', src))
    used |= set(re.findall(r'base\.get\("([A-Z_]+)"\)', src))
    used.discard("XDG_CACHE_HOME")
    used.discard("CT_CLI")  # documented together with CRYPTOTA_CLI
    template = open(TEMPLATE).read()
    keys = set(re.findall(r"^([A-Z_]+)=", template, re.M))
    assert used, "found no keys in config.py"
    missing = sorted(used - keys)
    assert not missing, f".env.template lacks {missing}"
    # the library's own variable is there too
    assert "CRYPTOTA_LIB" in keys

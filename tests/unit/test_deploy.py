"""deploy/: the container files render, validate and agree with the code, offline.

Real tools: ``kubectl kustomize`` piped into ``kubernetes-validate --strict`` for the
Kubernetes base and every overlay, ``check-jsonschema`` with the compose-spec schema
for compose.yaml. The environment each container gets is fed to that process's own
settings loader, which records every variable it looks up: a name nobody reads (a
typo) or a required value that is missing fails here instead of in a cluster.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalogsync.accounts import ACCOUNT_PLATFORMS
from catalogsync.settings import DEFAULT_PORTS, GATEWAY_DEFAULT_PORT, SettingsError
from services.uploader.backends import BackendError, Credentials
from tests.support.processes import bound_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
BIN = Path(sys.executable).parent
KUSTOMIZATIONS = [
    "base",
    *sorted(f"overlays/{p.parent.name}" for p in K8S.glob("overlays/*/kustomization.yaml")),
]

GRPC_SERVICES = tuple(DEFAULT_PORTS)  # collector, resolver, downloader, uploader, scheduler
PROCESSES = (*GRPC_SERVICES, "gateway")
HEADLESS = ("resolver", "downloader", "uploader")
APP_UID = 10001
SECRET_NAME = "catalog-sync-secrets"
# The uploader's credential prefix when the scheduler registers no backend from its
# environment (the default of CATALOGSYNC_S3_CREDENTIAL_ENV_PREFIX in services/scheduler/config.py).
DEFAULT_CREDENTIAL_PREFIX = "CATALOGSYNC_S3"
# Compose interpolation variables that configure the deployment, not a process.
DEPLOY_ONLY_VARIABLES = {"POSTGRES_PASSWORD", "DEPLOY_IMAGE", "CONSOLE_PUBLISH"}
SECRET_LIKE = re.compile(r"PASSWORD|SECRET|ACCESS_KEY|_TOKEN|DATABASE_URL")
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def _settings_class(process: str) -> Any:
    module = "gateway.config" if process == "gateway" else f"services.{process}.config"
    return importlib.import_module(module).Settings


def _process_of(command: list[str]) -> str | None:
    """``python -m services.resolver`` → ``resolver``; ``python -m gateway`` → ``gateway``."""
    if command[:2] != ["python", "-m"] or len(command) != 3:
        return None
    name = command[2].removeprefix("services.")
    return name if name in PROCESSES else None


# --- tools ----------------------------------------------------------------------------------------


def _tool(name: str, hint: str) -> str:
    """The venv's own tool first, then PATH, then /usr/bin (where CI has kubectl)."""
    path = shutil.which(name, path=os.pathsep.join([str(BIN), os.environ.get("PATH", ""), "/usr/bin"]))
    if path is None:
        pytest.fail(f"{name} not found: {hint}", pytrace=False)
    return path


def _kubectl() -> str:
    return _tool("kubectl", "install kubectl (kubectl kustomize renders the manifests offline)")


def _run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120, check=False)


@cache
def _rendered_text(kustomization: str) -> str:
    result = _run([_kubectl(), "kustomize", str(K8S / kustomization)])
    assert result.returncode == 0, f"kubectl kustomize {kustomization} failed:\n{result.stderr}"
    return result.stdout


def _rendered(kustomization: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(_rendered_text(kustomization)) if doc]


def _workloads(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] in ("Deployment", "StatefulSet")}


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@cache
def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # resolves the x-* anchors and << merges


# --- environment check ----------------------------------------------------------------------------


class RecordingEnv(Mapping[str, str]):
    """An environment that remembers every name looked up in it."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


@dataclass
class Container:
    where: str
    process: str
    env: dict[str, str]
    own: set[str] = field(default_factory=set)  # names this process itself must read


def env_problems(containers: list[Container]) -> list[str]:
    """Load every container's settings from its environment; report what does not fit.

    Each process must start (required names present, values valid); each name in ``own``
    must be read by that process; every other name by at least one process of the set.
    """
    problems: list[str] = []
    prefix = DEFAULT_CREDENTIAL_PREFIX
    for container in containers:
        if container.process == "scheduler":
            try:
                backend = _settings_class("scheduler").from_env(container.env).object_backend
            except SettingsError:
                continue  # reported below
            prefix = backend.credential_env_prefix if backend else prefix
    read_by_any: set[str] = set()
    for container in containers:
        env = RecordingEnv(container.env)
        try:
            _settings_class(container.process).from_env(env)
            if container.process == "uploader":
                Credentials.from_env(prefix, env)
        except (SettingsError, BackendError) as exc:
            problems.append(f"{container.where}: {exc}")
        read_by_any |= env.read
        problems += [
            f"{container.where}: {name} is set but {container.process} never reads it"
            for name in sorted(container.own - env.read)
        ]
    for container in containers:
        problems += [
            f"{container.where}: {name} is read by no catalog-sync process"
            for name in sorted(set(container.env) - read_by_any)
        ]
    return problems


def _interpolate(text: str) -> str:
    """Compose's ``${VAR:-default}`` → default, ``${VAR:?msg}`` → a placeholder value."""

    def value(match: re.Match[str]) -> str:
        name, op, arg = match.groups()
        return arg if op and op.endswith("-") else f"value-of-{name}"

    return INTERPOLATION.sub(value, text).replace("$$", "$")


def compose_containers() -> list[Container]:
    containers = []
    for name, service in _compose()["services"].items():
        process = _process_of(service.get("command", []))
        if process is None:
            continue
        env = {key: _interpolate(str(val)) for key, val in (service.get("environment") or {}).items()}
        containers.append(Container(f"compose:{name}", process, env, own=set(env)))
    return containers


def k8s_containers(docs: list[dict[str, Any]]) -> list[Container]:
    configmaps = _by_kind(docs, "ConfigMap")
    containers = []
    for workload in _workloads(docs).values():
        for spec in workload["spec"]["template"]["spec"]["containers"]:
            process = _process_of(spec.get("command", []))
            if process is None:
                continue
            env: dict[str, str] = {}
            for source in spec.get("envFrom", []):
                env.update(configmaps[source["configMapRef"]["name"]].get("data", {}))
            own = set()
            for var in spec.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                env[var["name"]] = f"<{ref['name']}/{ref['key']}>" if ref else var["value"]
                own.add(var["name"])
            containers.append(Container(f"{workload['metadata']['name']}/{spec['name']}", process, env, own))
    return containers


# --- Kubernetes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_kustomization_renders_and_validates_strictly(kustomization: str) -> None:
    validate = _tool("kubernetes-validate", "run `make setup` (it is in the dev extras)")
    result = _run([validate, "--strict", "--quiet", "-"], stdin=_rendered_text(kustomization))
    assert result.returncode == 0, f"{kustomization}:\n{result.stdout}{result.stderr}"
    assert not any(d["kind"] == "Secret" for d in _rendered(kustomization)), "Secrets are created out of band"


def test_every_component_is_used_by_an_overlay() -> None:
    used = {
        (K8S / kustomization / ref).resolve()
        for kustomization in KUSTOMIZATIONS
        for ref in yaml.safe_load((K8S / kustomization / "kustomization.yaml").read_text()).get(
            "components", []
        )
    }
    components = {p.parent.resolve() for p in K8S.glob("components/*/kustomization.yaml")}
    assert components and components <= used, f"unused: {components - used}"


def test_overlays_add_what_they_promise() -> None:
    for kustomization in KUSTOMIZATIONS:
        assert set(PROCESSES) <= set(_workloads(_rendered(kustomization))), kustomization
    self_contained = _workloads(_rendered("overlays/self-contained"))
    assert {"postgres", "minio"} <= {n for n, w in self_contained.items() if w["kind"] == "StatefulSet"}
    for kustomization in ("overlays/scaled", "overlays/external"):
        workloads = _workloads(_rendered(kustomization))
        assert {n: workloads[n]["spec"]["replicas"] for n in HEADLESS} == dict.fromkeys(HEADLESS, 3)
        assert workloads["scheduler"]["spec"]["replicas"] == 1


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_workloads_are_hardened(kustomization: str) -> None:
    for name, workload in _workloads(_rendered(kustomization)).items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod.get("automountServiceAccountToken") is False, name
        tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            where = f"{name}/{container['name']}"
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), where
            assert any(
                m["mountPath"] == "/tmp" and m["name"] in tmp_volumes for m in container["volumeMounts"]
            ), f"{where}: no emptyDir on /tmp"
            assert "readinessProbe" in container and "livenessProbe" in container, where
        if name in PROCESSES:
            assert pod["securityContext"]["runAsUser"] == APP_UID, name


def test_probes_ports_and_scrape_annotations_match_the_code() -> None:
    docs = _rendered("overlays/scaled")
    workloads = _workloads(docs)
    for process in PROCESSES:
        template = workloads[process]["spec"]["template"]
        container = template["spec"]["containers"][0]
        assert _process_of(container["command"]) == process
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        if process == "gateway":
            assert ports == {"http": GATEWAY_DEFAULT_PORT}
            assert annotations["prometheus.io/port"] == str(GATEWAY_DEFAULT_PORT)
            assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
            assert "httpGet" in container["livenessProbe"]
            continue
        grpc_port, metrics_port = DEFAULT_PORTS[process]
        assert ports == {"grpc": grpc_port, "metrics": metrics_port}, process
        assert annotations["prometheus.io/port"] == str(metrics_port), process
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == grpc_port, f"{process} {probe}"


def test_clients_reach_services_that_exist_headless_for_the_scaled_workers() -> None:
    docs = _rendered("overlays/scaled")
    services = _by_kind(docs, "Service")
    (config,) = _by_kind(docs, "ConfigMap").values()
    for process in GRPC_SERVICES:
        target = config["data"][f"CATALOGSYNC_{process.upper()}_ADDR"]
        host, port = target.removeprefix("dns:///").rsplit(":", 1)
        assert host == process and int(port) == DEFAULT_PORTS[process][0], target
        assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}, target
        if process in HEADLESS:
            assert target.startswith("dns:///"), f"{target}: round robin needs the dns:/// scheme"
            assert services[host]["spec"].get("clusterIP") == "None", f"{host} must be headless"


def test_library_volume_is_shared_at_the_scheduler_library_root() -> None:
    docs = _rendered("overlays/scaled")
    (claim,) = _by_kind(docs, "PersistentVolumeClaim").values()
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    (config,) = _by_kind(docs, "ConfigMap").values()
    root = config["data"]["CATALOGSYNC_LIBRARY_ROOT"]
    workloads = _workloads(docs)
    for process, read_only in (("downloader", False), ("uploader", True), ("scheduler", True)):
        pod = workloads[process]["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["mountPath"] == root]
        assert volumes[mount["name"]]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
        assert mount.get("readOnly", False) is read_only, process


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_k8s_env_names_are_read_by_the_code(kustomization: str) -> None:
    containers = k8s_containers(_rendered(kustomization))
    assert {c.process for c in containers} == set(PROCESSES)
    assert env_problems(containers) == []


# --- compose --------------------------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    check = _tool("check-jsonschema", "run `make setup` (it is in the dev extras)")
    result = _run([check, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_services_have_healthchecks_and_wait_for_health() -> None:
    services = _compose()["services"]
    assert {"postgres", "minio", *PROCESSES} == set(services)
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        for dependency, how in (service.get("depends_on") or {}).items():
            assert how == {"condition": "service_healthy"}, f"{name} -> {dependency}"
        process = _process_of(service.get("command", []))
        if process in GRPC_SERVICES:
            assert service["healthcheck"]["test"][-1] == f"127.0.0.1:{DEFAULT_PORTS[process][0]}", name
    assert set(services["scheduler"]["depends_on"]) == {"postgres", *GRPC_SERVICES} - {"scheduler"}
    assert set(services["gateway"]["depends_on"]) == {"scheduler"}
    assert set(services["uploader"]["depends_on"]) == {"minio"}
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"gateway"}, "only the console is published"
    assert services["gateway"]["ports"] == ["${CONSOLE_PUBLISH:-127.0.0.1:18080}:18080"]


def test_compose_shares_one_library_volume_at_the_scheduler_library_root() -> None:
    services = _compose()["services"]
    root = services["scheduler"]["environment"]["CATALOGSYNC_LIBRARY_ROOT"]
    assert services["downloader"]["volumes"] == [f"library:{root}"]
    assert services["uploader"]["volumes"] == [f"library:{root}:ro"]
    assert services["scheduler"]["volumes"] == [f"library:{root}:ro"]
    assert "library" in _compose()["volumes"]


def test_compose_env_names_are_read_by_the_code() -> None:
    containers = compose_containers()
    assert {c.process for c in containers} == set(PROCESSES)
    assert env_problems(containers) == []


def test_compose_interpolation_variables_are_known() -> None:
    known = {name for c in compose_containers() for name in c.env} | DEPLOY_ONLY_VARIABLES
    used = {m.group(1) for m in INTERPOLATION.finditer(COMPOSE.read_text())}
    assert used - known == set(), "document new deployment variables in DEPLOY_ONLY_VARIABLES"
    required = {m.group(1) for m in INTERPOLATION.finditer(COMPOSE.read_text()) if m.group(2) == ":?"}
    assert required == {
        "POSTGRES_PASSWORD",
        "CATALOGSYNC_S3_ACCESS_KEY_ID",
        "CATALOGSYNC_S3_SECRET_ACCESS_KEY",
        "CATALOGSYNC_SERVICE_TOKEN",
        "CATALOGSYNC_OPERATOR_TOKEN",
        "CATALOGSYNC_CONSOLE_TOKEN",
    }


def test_env_check_catches_a_typo_a_missing_value_and_a_misplaced_name() -> None:
    containers = {c.where: c for c in compose_containers()}
    scheduler = containers["compose:scheduler"]
    scheduler.env["CATALOGSYNC_LIBRARY_ROT"] = scheduler.env.pop("CATALOGSYNC_LIBRARY_ROOT")
    scheduler.own = set(scheduler.env)
    del scheduler.env["DATABASE_URL"]
    containers["compose:gateway"].env["CATALOGSYNC_S3_BUCKET"] = "x"
    containers["compose:gateway"].own.add("CATALOGSYNC_S3_BUCKET")
    problems = "\n".join(env_problems(list(containers.values())))
    assert "CATALOGSYNC_LIBRARY_ROT is set but scheduler never reads it" in problems
    assert "CATALOGSYNC_LIBRARY_ROT is read by no catalog-sync process" in problems
    assert "DATABASE_URL is required" in problems
    assert "compose:gateway: CATALOGSYNC_S3_BUCKET is set but gateway never reads it" in problems


def test_compose_grpc_healthcheck_command_works_against_a_real_server(tmp_path: Path) -> None:
    test = _compose()["services"]["collector"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    script = test[3]

    def check(address: str) -> int:
        return _run([sys.executable, "-c", script, address]).returncode

    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "CATALOGSYNC_BIND_HOST": "127.0.0.1",
        "CATALOGSYNC_COLLECTOR_PORT": "0",  # the collector binds a free port itself and logs it
        "CATALOGSYNC_COLLECTOR_METRICS_PORT": "0",
    }
    with (tmp_path / "collector.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "services.collector"], env=env, cwd=ROOT, stdout=log, stderr=log
        )
        try:
            log_text = (tmp_path / "collector.log").read_text
            port = bound_port(log_text, r"listening on [\d.]+:(\d+)", 30, "the collector", server)
            deadline = time.monotonic() + 30
            while check(f"127.0.0.1:{port}") != 0:
                assert server.poll() is None, (tmp_path / "collector.log").read_text()
                assert time.monotonic() < deadline, "the healthcheck never passed"
                time.sleep(0.2)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    assert check(f"127.0.0.1:{port}") != 0, "a stopped server must fail the healthcheck"


# --- the image and the commands -------------------------------------------------------------------


def test_every_command_names_a_runnable_module() -> None:
    commands = [s["command"] for s in _compose()["services"].values() if "command" in s]
    commands += [
        c["command"]
        for w in _workloads(_rendered("overlays/scaled")).values()
        for c in w["spec"]["template"]["spec"]["containers"]
        if "command" in c
    ]
    modules = {c[2] for c in commands if _process_of(c)}
    assert len(modules) == len(PROCESSES)
    for module in modules:
        assert (ROOT / module.replace(".", "/") / "__main__.py").is_file(), module


def test_dockerfile_builds_one_non_root_image_with_generated_stubs() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.findall(r"^FROM (\S+)", text, re.M) == ["python:3.11-slim", "python:3.11-slim"]
    assert re.search(rf"^USER {APP_UID}:{APP_UID}$", text, re.M)
    codegen, install = text.index("python -m catalogsync.codegen"), text.rindex("pip install")
    assert codegen < install, "the stubs must exist before the final install"
    assert "[dev]" not in text
    assert re.search(r'^CMD \["python", "-m", "services\.scheduler"\]$', text, re.M)
    for source in re.findall(r"^COPY (?!--from)(\S+) ", text, re.M):
        assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"
    image_env = dict(re.findall(r"\b(CATALOGSYNC_\w+)=(\S+)", text))
    # The image binds every address, so it refuses to start until the deployment gives it tokens.
    alone = env_problems([Container("Dockerfile", "gateway", image_env, own=set(image_env))])
    assert len(alone) == 1 and "has no authentication" in alone[0]
    tokens = {"CATALOGSYNC_CONSOLE_TOKEN": "t", "CATALOGSYNC_SERVICE_TOKEN": "t"}
    configured = Container("Dockerfile", "gateway", {**image_env, **tokens}, own=set(image_env))
    assert env_problems([configured]) == []


# --- secrets --------------------------------------------------------------------------------------

STRONG_SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # an AWS access key id
    re.compile(r"://[^/\s:@]+:(?![$<])[^@\s/]+@"),  # a URL with an inline password
    re.compile(r"minioadmin", re.I),  # MinIO's well-known default credentials
]
ASSIGNED_SECRET = re.compile(
    r"(?i)(password|secret(?!name:)|access_key|token)[a-z_]*[\"']?[ \t]*[:=][ \t]*[\"']?(?![$<{(])[^\s\"']{6,}"
)


def test_no_secret_is_committed_under_deploy() -> None:
    files = [p for p in DEPLOY.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.startswith(".env")], "no .env files in deploy/"
    for path in files:
        text = path.read_text()
        for pattern in STRONG_SECRET_PATTERNS:
            assert not pattern.search(text), f"{path.relative_to(ROOT)}: {pattern.pattern}"
        if path.suffix != ".md":
            found = ASSIGNED_SECRET.search(text)
            assert not found, f"{path.relative_to(ROOT)}: a literal secret? {found.group(0)!r}"
            assert not re.search(r"^kind:\s*Secret\s*$", text, re.M), path


def test_secret_values_come_from_the_environment_or_a_secret() -> None:
    for name, service in _compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_LIKE.search(key):
                assert re.search(r"\$\{\w+:\?", str(value)), f"compose {name}: {key} must be ${{VAR:?...}}"
    for kustomization in KUSTOMIZATIONS:
        for workload in _workloads(_rendered(kustomization)).values():
            for container in workload["spec"]["template"]["spec"]["containers"]:
                for var in container.get("env", []):
                    if SECRET_LIKE.search(var["name"]):
                        ref = var.get("valueFrom", {}).get("secretKeyRef", {})
                        assert ref.get("name") == SECRET_NAME, f"{kustomization} {var['name']}"


def test_readme_documents_every_secret_key_and_required_variable() -> None:
    readme = (DEPLOY / "README.md").read_text()
    keys = {
        ref["secretKeyRef"]["key"]
        for kustomization in KUSTOMIZATIONS
        for workload in _workloads(_rendered(kustomization)).values()
        for container in workload["spec"]["template"]["spec"]["containers"]
        for var in container.get("env", [])
        for ref in [var.get("valueFrom", {})]
        if "secretKeyRef" in ref
    }
    variables = {m.group(1) for m in INTERPOLATION.finditer(COMPOSE.read_text())}
    missing = sorted(name for name in keys | variables | {SECRET_NAME} if name not in readme)
    assert missing == [], f"deploy/README.md does not mention {missing}"


# --- trust boundaries -----------------------------------------------------------------------------


def _policies(kustomization: str) -> dict[str, dict[str, Any]]:
    return _by_kind(_rendered(kustomization), "NetworkPolicy")


def _admitted(policies: dict[str, dict[str, Any]], source: str, target: str, port: str) -> bool:
    """Whether some policy lets pods named ``source`` reach ``target`` on the named ``port``."""
    for policy in policies.values():
        selector = policy["spec"]["podSelector"]
        names = selector.get("matchLabels", {}).get("app.kubernetes.io/name")
        targets = {names} if names else set()
        for expression in selector.get("matchExpressions", []):
            if expression["key"] == "app.kubernetes.io/name" and expression["operator"] == "In":
                targets |= set(expression["values"])
        if target not in targets:
            continue
        for rule in policy["spec"].get("ingress", []):
            if port not in {p["port"] for p in rule.get("ports", [])}:
                continue
            sources = rule.get("from")
            if sources is None:
                return True
            for peer in sources:
                if peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == source:
                    return True
    return False


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_network_policies_let_only_the_scheduler_reach_the_workers(kustomization: str) -> None:
    policies = _policies(kustomization)
    deny = policies["catalog-sync-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress"] and "ingress" not in deny
    assert deny["podSelector"]["matchLabels"] == {"app.kubernetes.io/part-of": "catalog-sync"}
    for worker in ("collector", "resolver", "downloader", "uploader"):
        assert _admitted(policies, "scheduler", worker, "grpc"), worker
        for other in ("gateway", "collector", "resolver", "downloader", "uploader", "attacker"):
            assert not _admitted(policies, other, worker, "grpc"), f"{other} → {worker}"
        assert _admitted(policies, "prometheus", worker, "metrics")
    assert _admitted(policies, "gateway", "scheduler", "grpc")
    for other in ("collector", "resolver", "downloader", "uploader", "attacker"):
        assert not _admitted(policies, other, "scheduler", "grpc"), other
    assert _admitted(policies, "anyone", "gateway", "http")
    workloads = _workloads(_rendered(kustomization))
    if "postgres" in workloads:
        assert _admitted(policies, "scheduler", "postgres", "postgres")
        assert not _admitted(policies, "gateway", "postgres", "postgres")
    if "minio" in workloads:
        assert _admitted(policies, "uploader", "minio", "s3")
        assert not _admitted(policies, "downloader", "minio", "s3")
        assert not _admitted(policies, "anyone", "minio", "console")
    for name, workload in workloads.items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert labels.get("app.kubernetes.io/part-of") == "catalog-sync", f"{name} escapes default deny"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_each_token_goes_only_to_the_processes_that_use_it(kustomization: str) -> None:
    holders: dict[str, set[str]] = {}
    for container in k8s_containers(_rendered(kustomization)):
        for name in container.own:
            holders.setdefault(name, set()).add(container.process)
    assert holders["CATALOGSYNC_SERVICE_TOKEN"] == set(PROCESSES)
    assert holders["CATALOGSYNC_OPERATOR_TOKEN"] == {"scheduler"}
    assert holders["CATALOGSYNC_CONSOLE_TOKEN"] == {"gateway"}
    assert holders["CATALOGSYNC_S3_SECRET_ACCESS_KEY"] == {"uploader"}
    assert holders["DATABASE_URL"] == {"scheduler"}
    compose = {c.process: set(c.env) for c in compose_containers()}
    assert {p for p, names in compose.items() if "CATALOGSYNC_S3_SECRET_ACCESS_KEY" in names} == {"uploader"}
    assert {p for p, names in compose.items() if "CATALOGSYNC_CONSOLE_TOKEN" in names} == {"gateway"}
    assert {p for p, names in compose.items() if "CATALOGSYNC_OPERATOR_TOKEN" in names} == {"scheduler"}


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_platform_accounts_reach_only_the_collector_and_the_resolver(kustomization: str) -> None:
    holders = {
        c.process for c in k8s_containers(_rendered(kustomization)) if "CATALOGSYNC_ACCOUNTS_DIR" in c.own
    }
    assert holders == {"collector", "resolver"}
    for workload in _workloads(_rendered(kustomization)).values():
        volumes = workload["spec"]["template"]["spec"].get("volumes", [])
        secrets = {v["secret"]["secretName"]: v["secret"] for v in volumes if "secret" in v}
        if workload["metadata"]["name"] in holders:
            assert secrets["catalog-sync-accounts"]["optional"] is True  # anonymous use needs no Secret
        else:
            assert "catalog-sync-accounts" not in secrets
    compose = {c.process: set(c.env) for c in compose_containers()}
    cookie_holders = {p for p, names in compose.items() if any(n.endswith("_COOKIE") for n in names)}
    assert cookie_holders == {"collector", "resolver"}
    assert {n for n in compose["resolver"] if n.endswith("_COOKIE")} == {
        f"CATALOGSYNC_{platform.upper()}_COOKIE" for platform in ACCOUNT_PLATFORMS
    }

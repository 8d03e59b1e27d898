"""Static tier for shipping: containers, compose, workflows and platform files of every combination.

No Docker engine runs here, so `docker build` and `docker compose config` cannot: the files are
checked by the strongest means that work offline instead (published JSON schemas, zizmor,
hadolint, shellcheck), and by assertions on what the parsed workflows do.
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.matrix import COMBINATIONS, RenderedMatrix
from tests.support.commands import (
    FRONTEND_CI_COMMANDS,
    GENERATED_CI_COMMANDS,
    commit_all,
    git,
    run,
    user_environment,
)
from tests.support.rendering import TEMPLATE_ROOT, Render

TOOLS = Path(sys.executable).parent
PINNED = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
WORKFLOWS = ".github/workflows"

# What each platform's deploy uses, and the secrets it reads; no other platform's may appear.
PLATFORM_MARKERS = {
    "railway": ["railway redeploy --from-source", "@railway/cli@"],
    "cloud-run": ["google-github-actions/deploy-cloudrun@", "google-github-actions/auth@"],
    "fly": ["flyctl deploy", "registry.fly.io", "setup-flyctl@"],
    "alibaba": ["kubectl", "rollout status"],
    "ssh": ["StrictHostKeyChecking=yes", "UserKnownHostsFile"],
}
PLATFORM_SECRETS = {
    "none": set(),
    "railway": {"RAILWAY_TOKEN"},
    "cloud-run": set(),
    "fly": {"FLY_API_TOKEN"},
    "alibaba": {"ACR_PASSWORD", "ACK_KUBECONFIG"},
    "ssh": {"SSH_PRIVATE_KEY", "SSH_KNOWN_HOSTS"},
}
PLATFORM_FILES = {
    "fly": ["fly.toml"],
    "alibaba": [
        "deploy/kubernetes/deployment.yaml",
        "deploy/kubernetes/service.yaml",
        "deploy/kubernetes/hpa.yaml",
        "deploy/kubernetes/pdb.yaml",
    ],
    "ssh": ["deploy/ssh/compose.yml", "deploy/ssh/deploy.sh"],
}


def tool(name: str, *arguments: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the tools are this suite's own dependencies
        [str(TOOLS / name), *map(str, arguments)], capture_output=True, text=True, check=False
    )


def files(matrix: RenderedMatrix, pattern: str) -> list[Path]:
    return sorted(path for project in matrix.all().values() for path in project.glob(pattern))


def workflows(project: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name: yaml.safe_load(path.read_text())
        for path in sorted((project / WORKFLOWS).glob("*.yml"))
    }


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def workflow_text(project: Path) -> str:
    return "\n".join(path.read_text() for path in sorted((project / WORKFLOWS).glob("*.yml")))


# --- Published schemas and linters, over every combination at once -------------------------


SCHEMAS = [
    pytest.param("vendor.github-workflows", [f"{WORKFLOWS}/*.yml"], id="workflows"),
    pytest.param("vendor.compose-spec", ["compose*.yml", "deploy/ssh/compose.yml"], id="compose"),
    pytest.param("vendor.dependabot", [".github/dependabot.yml"], id="dependabot"),
]


@pytest.mark.parametrize(("schema", "patterns"), SCHEMAS)
def test_files_match_their_published_schema(
    matrix: RenderedMatrix, schema: str, patterns: list[str]
) -> None:
    checked = [path for pattern in patterns for path in files(matrix, pattern)]
    assert checked
    result = tool("check-jsonschema", "--builtin-schema", schema, *checked)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_in_any_workflow(matrix: RenderedMatrix) -> None:
    """Every finding zizmor would report is fixed, or ignored in the file with its reason."""
    directories = [project / WORKFLOWS for project in matrix.all().values()]
    result = tool("zizmor", "--offline", "--no-progress", *directories)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in files(matrix, f"{WORKFLOWS}/*.yml"):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if "zizmor: ignore" in line:
                reason = lines[number - 1].strip()
                assert reason.startswith("# "), f"{path}:{number + 1} ignores without a reason"


def test_dockerfiles_pass_hadolint(matrix: RenderedMatrix) -> None:
    dockerfiles = files(matrix, "*/Dockerfile")
    with_frontend = [answers for answers in COMBINATIONS.values() if answers["include_frontend"]]
    assert len(dockerfiles) == len(COMBINATIONS) + len(with_frontend)
    for dockerfile in dockerfiles:
        result = tool("hadolint", dockerfile)
        assert result.returncode == 0, f"{dockerfile}: {result.stdout}{result.stderr}"


def test_shell_scripts_pass_shellcheck(matrix: RenderedMatrix) -> None:
    scripts = files(matrix, "**/*.sh")
    assert scripts, "the ssh combinations ship deploy.sh"
    result = tool("shellcheck", *scripts)
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(script.stat().st_mode & 0o111 for script in scripts)


def test_every_yaml_file_parses(matrix: RenderedMatrix) -> None:
    for path in files(matrix, "**/*.y*ml"):
        if path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(path.read_text())


# --- What the workflows do, per combination ------------------------------------------------


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_every_action_is_pinned_to_a_commit(matrix: RenderedMatrix, combination: str) -> None:
    for name, workflow in workflows(matrix[combination]).items():
        references = [step["uses"] for step in steps(workflow) if "uses" in step]
        references += [job["uses"] for job in workflow["jobs"].values() if "uses" in job]
        for reference in references:
            assert reference.startswith("./") or PINNED.match(reference), f"{name}: {reference}"


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_workflow_hygiene(matrix: RenderedMatrix, combination: str) -> None:
    for name, workflow in workflows(matrix[combination]).items():
        assert_hygienic(name, workflow)


def assert_hygienic(name: str, workflow: dict[str, Any]) -> None:
    """Least privilege, bounded jobs, pinned actions, no credentials left behind, no injection."""
    assert workflow["permissions"] == {}, f"{name}: top-level permissions must be empty"
    for job_name, job in workflow["jobs"].items():
        assert "permissions" in job, f"{name}/{job_name} sets no permissions"
        if "uses" not in job:  # a job that calls a reusable workflow has no timeout
            assert "timeout-minutes" in job, f"{name}/{job_name} has no timeout"
    for step in steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, name
        # Expressions are passed through env, never pasted into a script.
        assert "${{" not in step.get("run", ""), f"{name}: {step.get('name')}"


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_publishing_workflows_use_no_actions_cache(
    matrix: RenderedMatrix, combination: str
) -> None:
    for name, workflow in workflows(matrix[combination]).items():
        if name == "ci.yml":
            continue
        text = yaml.safe_dump(workflow)
        assert "actions/cache" not in text
        assert "type=gha" not in text
        assert "enable-cache: true" not in text


def components(combination: str) -> list[str]:
    """The folders that build an image, as each workflow should list them."""
    return ["backend", "frontend"] if COMBINATIONS[combination]["include_frontend"] else ["backend"]


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_staging_builds_each_image_once_then_scans_signs_and_tags_the_digest(
    matrix: RenderedMatrix, combination: str
) -> None:
    staging = workflows(matrix[combination])["deploy-staging.yml"]
    assert staging["concurrency"]["cancel-in-progress"] is True
    publishing = {name for name in staging["jobs"] if name.startswith("publish-")}
    assert publishing == {f"publish-{component}" for component in components(combination)}
    for component in components(combination):
        publish = staging["jobs"][f"publish-{component}"]
        assert publish["env"]["IMAGE"].endswith(f"/{component}")
        uses = [step.get("uses", "").split("@")[0] for step in publish["steps"]]
        assert uses.count("docker/build-push-action") == 1
        build = next(step for step in publish["steps"] if step.get("id") == "build")
        assert build["with"]["context"] == component
        trivy = next(step for step in publish["steps"] if "trivy-action" in step.get("uses", ""))
        assert "@${{ steps.build.outputs.digest }}" in trivy["with"]["image-ref"]
        runs = "\n".join(step.get("run", "") for step in publish["steps"])
        assert 'cosign sign --yes "$IMAGE@$DIGEST"' in runs
        assert '--prefer-index=false --tag "$IMAGE:staging" "$IMAGE@$DIGEST"' in runs


def test_trivy_is_pinned_to_a_release_after_the_hijacked_tags(matrix: RenderedMatrix) -> None:
    for path in files(matrix, f"{WORKFLOWS}/deploy-staging.yml"):
        lines = [line for line in path.read_text().splitlines() if "trivy-action@" in line]
        assert lines
        for line in lines:
            version = re.search(r"# v(\d+)\.(\d+)\.(\d+)", line)
            assert version is not None
            assert tuple(map(int, version.groups())) >= (0, 35, 0)


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_production_promotes_the_staging_digest_without_building(
    matrix: RenderedMatrix, combination: str
) -> None:
    production = workflows(matrix[combination])["deploy-production.yml"]
    text = yaml.safe_dump(production)
    assert "build-push-action" not in text
    assert re.search(r"docker (buildx )?build ", text) is None
    assert production[True] == {"release": {"types": ["published"]}}  # YAML reads `on` as True
    assert production["concurrency"]["cancel-in-progress"] is False
    promoting = {name for name in production["jobs"] if name.startswith("promote-")}
    assert promoting == {f"promote-{component}" for component in components(combination)}
    for component in components(combination):
        promote = production["jobs"][f"promote-{component}"]
        assert promote["env"]["IMAGE"].endswith(f"/{component}")
        assert promote["if"] == "${{ !github.event.release.prerelease }}"
        check_tag = promote["steps"][0]
        assert check_tag["env"] == {"TAG": "${{ github.event.release.tag_name }}"}
        assert '[[ ! "$TAG" =~ ^v[0-9]+\\.[0-9]+\\.[0-9]+$ ]]' in check_tag["run"]
        runs = "\n".join(step.get("run", "") for step in promote["steps"])
        assert "cosign verify" in runs
        assert "--prefer-index=false" in runs
        assert '--tag "$IMAGE:$TAG" --tag "$IMAGE:latest" "$IMAGE@$DIGEST"' in runs


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_a_deploy_job_exists_only_for_a_platform(matrix: RenderedMatrix, combination: str) -> None:
    platform = COMBINATIONS[combination]["deploy_platform"]
    found = workflows(matrix[combination])
    for name in ["deploy-staging.yml", "deploy-production.yml"]:
        assert ("deploy" in found[name]["jobs"]) == (platform != "none"), name
    assert ("deploy.yml" in found) == (platform != "none")
    if platform != "none":
        for name, stage in [
            ("deploy-staging.yml", "publish"),
            ("deploy-production.yml", "promote"),
        ]:
            deploy = found[name]["jobs"]["deploy"]
            assert deploy["uses"] == "./.github/workflows/deploy.yml"
            # Every image passed its checks; the service deployed is the backend's digest.
            assert deploy["needs"] == [
                f"{stage}-{component}" for component in components(combination)
            ]
            assert deploy["with"]["digest"] == f"${{{{ needs.{stage}-backend.outputs.digest }}}}"


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_each_platform_uses_its_own_mechanism_and_secrets_only(
    matrix: RenderedMatrix, combination: str
) -> None:
    project = matrix[combination]
    platform = COMBINATIONS[combination]["deploy_platform"]
    text = workflow_text(project)
    for other, markers in PLATFORM_MARKERS.items():
        for marker in markers:
            assert (marker in text) == (other == platform), f"{marker!r} with {platform}"
    secrets = set(re.findall(r"secrets\.([A-Z_]+)", text)) - {"GITHUB_TOKEN"}
    assert secrets == PLATFORM_SECRETS[platform]
    for other, paths in PLATFORM_FILES.items():
        for path in paths:
            assert (project / path).is_file() == (other == platform), path
    assert ("railway redeploy" in text) <= ("--from-source" in text)
    assert "railway up" not in text
    assert "appleboy/ssh-action" not in text


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_the_deployment_guide_names_every_secret_and_variable(
    matrix: RenderedMatrix, combination: str
) -> None:
    project = matrix[combination]
    text = workflow_text(project)
    names = set(re.findall(r"(?:secrets|vars)\.([A-Z_]+)", text)) - {"GITHUB_TOKEN"}
    guide = (project / "docs" / "deployment.md").read_text()
    missing = sorted(name for name in names if name not in guide)
    assert missing == []
    example = (project / ".env.example").read_text()
    for platform, secrets in PLATFORM_SECRETS.items():
        for secret in secrets:
            assert (secret in example) == (platform == COMBINATIONS[combination]["deploy_platform"])


def test_ci_runs_the_commands_the_dynamic_tier_proves(matrix: RenderedMatrix) -> None:
    """A green template run therefore means a green first push of the generated service."""
    for combination, project in matrix.all().items():
        ci = workflows(project)["ci.yml"]
        runs = [step["run"] for step in ci["jobs"]["checks"]["steps"] if "run" in step]
        if COMBINATIONS[combination]["include_frontend"]:
            assert runs == GENERATED_CI_COMMANDS + FRONTEND_CI_COMMANDS
        else:
            assert runs == GENERATED_CI_COMMANDS
        aggregate = ci["jobs"]["all-checks"]
        assert aggregate["if"] == "always()"
        assert set(aggregate["needs"]) == set(ci["jobs"]) - {"all-checks"}


# --- Containers and platform files -----------------------------------------------------------


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_the_image_runs_unprivileged_and_reports_its_build(
    matrix: RenderedMatrix, combination: str
) -> None:
    dockerfile = (matrix[combination] / "backend" / "Dockerfile").read_text()
    python_version = COMBINATIONS[combination]["python_version"]
    assert f"ARG PYTHON_VERSION={python_version}" in dockerfile
    assert "uv sync --locked --no-dev" in dockerfile
    assert "UV_COMPILE_BYTECODE=1" in dockerfile
    assert "USER 10001:10001" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "curl" not in dockerfile.split("HEALTHCHECK")[1]
    for label in ["source", "revision", "version"]:
        assert f"org.opencontainers.image.{label}=" in dockerfile
    assert "GIT_COMMIT=${GIT_COMMIT}" in dockerfile
    dockerignore = (matrix[combination] / "backend" / ".dockerignore").read_text().splitlines()
    assert dockerignore[1:5] == ["*", "!pyproject.toml", "!uv.lock", "!app/"]


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_only_the_local_development_files_run_a_container_as_local(
    matrix: RenderedMatrix, combination: str
) -> None:
    """Compose's `environment:` wins over `env_file:`, so .env's ENVIRONMENT=local, there for
    `make dev`, reaches no container: only compose.override.yml chooses local."""
    project = matrix[combination]

    def backend(compose_file: str) -> dict[str, Any]:
        services: dict[str, Any] = yaml.safe_load((project / compose_file).read_text())["services"]
        return services["backend"]

    assert [entry["path"] for entry in backend("compose.yml")["env_file"]] == [".env"]
    assert backend("compose.yml")["environment"]["ENVIRONMENT"] == "production"
    assert backend("compose.override.yml")["environment"]["ENVIRONMENT"] == "local"
    assert "ENVIRONMENT=local" in (project / ".env.example").read_text().splitlines()
    assert "ENVIRONMENT=production" in (project / "backend" / "Dockerfile").read_text()
    for other in ["compose.gateway.yml", "deploy/ssh/compose.yml"]:
        if not (project / other).is_file():
            continue
        assert backend(other).get("environment", {}).get("ENVIRONMENT") != "local", other


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_the_gateway_exists_only_when_chosen(matrix: RenderedMatrix, combination: str) -> None:
    project = matrix[combination]
    answers = COMBINATIONS[combination]
    gateway_file = project / "compose.gateway.yml"
    assert gateway_file.is_file() == answers["include_gateway"]
    assert (project / "docs" / "gateway.md").is_file() == answers["include_gateway"]
    if not answers["include_gateway"]:
        return
    gateway = yaml.safe_load(gateway_file.read_text())
    traefik = gateway["services"]["gateway"]
    assert traefik["image"] == "traefik:v3.6"
    command = "\n".join(traefik["command"])
    assert "--entrypoints.web.http.redirections.entrypoint.to=websecure" in command
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert f"acme.email={recorded['letsencrypt_email']}" in command
    assert "/var/run/docker.sock:/var/run/docker.sock:ro" in traefik["volumes"]
    labels = gateway["services"]["backend"]["labels"]
    assert f"traefik.http.routers.api.rule=Host(`api.{recorded['domain']}`)" in labels
    assert "traefik.http.routers.api.middlewares=api-rate-limit" in labels
    assert any(
        label.startswith("traefik.http.middlewares.api-rate-limit.ratelimit.") for label in labels
    )
    # The file only adds to services that the compose files it joins define, on a server too.
    bases = [project / "compose.yml"]
    if answers["deploy_platform"] == "ssh":
        bases.append(project / "deploy" / "ssh" / "compose.yml")
    for base in bases:
        services = yaml.safe_load(base.read_text())["services"]
        assert set(gateway["services"]) - {"gateway"} <= set(services), base
    if answers["include_frontend"]:
        dashboard = f"traefik.http.routers.dashboard.rule=Host(`dashboard.{recorded['domain']}`)"
        assert dashboard in gateway["services"]["frontend"]["labels"]


def test_fly_checks_health_on_the_service_port(matrix: RenderedMatrix) -> None:
    fly = tomllib.loads((matrix["static-fly"] / "fly.toml").read_text())
    assert fly["http_service"]["internal_port"] == 8000
    assert fly["http_service"]["checks"][0]["path"] == "/healthz"


def test_kubernetes_manifests_probe_scale_and_run_unprivileged(matrix: RenderedMatrix) -> None:
    manifests = matrix["static-alibaba"] / "deploy" / "kubernetes"
    deployment = yaml.safe_load((manifests / "deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    hpa = yaml.safe_load((manifests / "hpa.yaml").read_text())
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] >= 2
    pdb = yaml.safe_load((manifests / "pdb.yaml").read_text())
    assert pdb["spec"]["minAvailable"] == 1
    kustomization = yaml.safe_load((manifests / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(
        path.name for path in manifests.glob("*.yaml") if path.name != "kustomization.yaml"
    )


def test_the_ssh_deploy_script_accepts_only_a_digest(
    matrix: RenderedMatrix, tmp_path: Path
) -> None:
    """Run the forced-command script with hostile input: it must refuse before doing anything."""
    script = matrix["static-ssh"] / "deploy" / "ssh" / "deploy.sh"
    for hostile in ["", "latest", "sha256:abc; rm -rf /", "$(reboot)", "sha256:" + "g" * 64]:
        result = subprocess.run(  # noqa: S603
            ["/bin/bash", str(script)],
            env={"SSH_ORIGINAL_COMMAND": hostile, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert result.returncode == 2, hostile
        assert "expected an image digest" in result.stderr


def run_ssh_deploy(project: Path, server: Path, digest: str) -> subprocess.CompletedProcess[str]:
    """deploy.sh in a stand-in server folder, with a docker that only records its arguments."""
    script = (project / "deploy" / "ssh" / "deploy.sh").read_text()
    script = re.sub(r'readonly HERE=".*"', f'readonly HERE="{server}"', script)
    (server / "deploy.sh").write_text(script)
    bin_dir = server / "bin"
    bin_dir.mkdir(exist_ok=True)
    docker = bin_dir / "docker"
    docker.write_text(f'#!/bin/sh\necho "$@" >> {server}/docker.log\n')
    docker.chmod(0o755)
    return subprocess.run(  # noqa: S603
        ["/bin/bash", str(server / "deploy.sh")],
        env={"SSH_ORIGINAL_COMMAND": digest, "PATH": f"{bin_dir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_ssh_deploy_starts_the_frontend_when_the_server_has_its_settings(
    matrix: RenderedMatrix, tmp_path: Path
) -> None:
    project = matrix["static-ssh-gateway-frontend"]
    digest = "sha256:" + "a" * 64
    (tmp_path / "compose.gateway.yml").touch()

    backend_only = run_ssh_deploy(project, tmp_path, digest)
    assert backend_only.returncode == 0, backend_only.stderr
    deployed = (tmp_path / "deployed.env").read_text()
    assert "COMPOSE_FILE=compose.yml:compose.gateway.yml\n" in deployed
    assert "COMPOSE_PROFILES" not in deployed

    (tmp_path / "frontend.env").write_text(
        "API_URL=https://api.example.com\nFRONTEND_TAG=staging\n"
    )
    with_frontend = run_ssh_deploy(project, tmp_path, digest)
    assert with_frontend.returncode == 0, with_frontend.stderr
    deployed = (tmp_path / "deployed.env").read_text()
    assert "COMPOSE_PROFILES=ui\nFRONTEND_TAG=staging\n" in deployed
    assert "up --detach --wait --remove-orphans" in (tmp_path / "docker.log").read_text()

    (tmp_path / "frontend.env").write_text("FRONTEND_TAG=staging; reboot\n")
    hostile = run_ssh_deploy(project, tmp_path, digest)
    assert hostile.returncode == 2
    assert "not an image tag" in hostile.stderr
    assert "FRONTEND_TAG=staging\n" in (tmp_path / "deployed.env").read_text()


# --- The template's own workflows ----------------------------------------------------------


def test_the_template_s_own_workflows_pass_the_same_checks() -> None:
    own = workflows(TEMPLATE_ROOT)
    assert set(own) == {"ci.yml", "release.yml"}
    paths = sorted((TEMPLATE_ROOT / WORKFLOWS).glob("*.yml"))
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *paths)
    assert result.returncode == 0, result.stdout + result.stderr
    result = tool("zizmor", "--offline", "--no-progress", TEMPLATE_ROOT / WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, workflow in own.items():
        assert_hygienic(name, workflow)
        for step in steps(workflow):
            assert "uses" not in step or PINNED.match(step["uses"]), f"{name}: {step['uses']}"


def test_releases_are_tagged_from_main_only_after_every_test_passed() -> None:
    ci = workflows(TEMPLATE_ROOT)["ci.yml"]
    release = ci["jobs"]["release"]
    assert release["needs"] == "test"
    assert release["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert release["uses"] == "./.github/workflows/release.yml"
    assert release["permissions"] == {"contents": "write"}
    assert ci["jobs"]["test"]["permissions"] == {"contents": "read"}

    workflow = workflows(TEMPLATE_ROOT)["release.yml"]
    assert set(workflow[True]) == {
        "workflow_call",
        "workflow_dispatch",
    }  # YAML 1.1 reads `on` as true
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write"}
    checkout, tag, publish = job["steps"]
    assert checkout["with"]["fetch-depth"] == 0
    assert tag["run"] == "python3 -m release tag"
    assert "git push" in publish["run"] and "refs/tags/v*" in publish["run"]
    assert "python3 -m release notes" in publish["run"]
    assert 'gh release create "$tag" --verify-tag' in publish["run"]


PRE_COMMIT = "pre-commit==4.7.0"  # the version `make hooks` installs
PREK = "prek==0.5.11"


@pytest.mark.parametrize("combination", ["static-none", "static-none-frontend"])
def test_the_pre_commit_configuration_is_valid_for_pre_commit_and_prek(
    matrix: RenderedMatrix, combination: str
) -> None:
    config = matrix[combination] / ".pre-commit-config.yaml"
    for runner in [PRE_COMMIT, PREK]:
        checked = subprocess.run(  # noqa: S603
            ["uvx", runner, "validate-config", str(config)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    hooks = {hook["id"] for hook in yaml.safe_load(config.read_text())["repos"][0]["hooks"]}
    frontend = {"biome", "client-check"}
    expected = {"ruff-format", "ruff-check", "uv-lock"}
    assert hooks == (expected | frontend if "frontend" in combination else expected)


def test_the_hooks_pass_on_a_fresh_service_and_catch_a_badly_formatted_file(
    render_project: Render,
) -> None:
    """Run as a commit runs them: pre-commit, then prek, over a service's files."""
    project = render_project()
    commit_all(project)
    run("uv", "sync", "--locked", "--quiet", cwd=project / "backend")
    for runner in [PRE_COMMIT, PREK]:
        run("uvx", runner, "run", "--all-files", cwd=project)

    bad = project / "backend" / "app" / "badly_formatted.py"
    bad.write_text("import os\nx = [1,2 ,3]\n")
    git("add", str(bad), cwd=project)
    failed = subprocess.run(  # noqa: S603
        ["uvx", PRE_COMMIT, "run", "--all-files"],  # noqa: S607
        cwd=project,
        env=user_environment(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert failed.returncode != 0
    assert "ruff format" in failed.stdout
    assert bad.read_text() == "x = [1, 2, 3]\n"  # formatted, and the unused import removed

"""Static tier for shipping: containers, compose, workflows and platform files of every combination.

No Docker engine runs here, so `docker build` and `docker compose config` cannot: the files are
checked by the strongest means that work offline instead (published JSON schemas, zizmor,
hadolint, shellcheck), and by assertions on what the parsed workflows do.
"""

import json
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
    "railway": ["railway_deploy.py"],
    "cloud-run": ["google-github-actions/deploy-cloudrun@", "google-github-actions/auth@"],
    "fly": ["flyctl deploy", "registry.fly.io", "setup-flyctl@"],
    "alibaba": ["kubectl", "rollout status", "aliyun/configure-aliyun-credentials-action@"],
    "ssh": ["StrictHostKeyChecking=yes", "UserKnownHostsFile"],
}
# Every platform, none included, applies the migrations with these.
MIGRATION_SECRETS = {"SUPABASE_ACCESS_TOKEN", "SUPABASE_DB_PASSWORD"}
PLATFORM_SECRETS = {
    "none": set(),
    "railway": {"RAILWAY_TOKEN"},
    "cloud-run": set(),
    "fly": {"FLY_API_TOKEN"},
    "alibaba": set(),
    "ssh": {"SSH_PRIVATE_KEY", "SSH_KNOWN_HOSTS"},
}
PLATFORM_FILES = {
    "railway": [".github/scripts/railway_deploy.py"],
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


def test_zizmor_finds_nothing_in_any_workflow_or_dependabot_file(matrix: RenderedMatrix) -> None:
    """Every finding zizmor would report is fixed, or ignored in the file with its reason."""
    directories = [project / ".github" for project in matrix.all().values()]
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


def test_actionlint_finds_nothing_in_any_workflow(matrix: RenderedMatrix) -> None:
    """actionlint checks expressions, job graphs, action inputs and, with shellcheck on PATH,
    the shell of every run step."""
    for combination, project in matrix.all().items():
        result = actionlint(project)
        assert result.returncode == 0, f"{combination}: {result.stdout}{result.stderr}"


def actionlint(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the suite's own dependency
        [str(TOOLS / "actionlint"), "-shellcheck", str(TOOLS / "shellcheck")],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def test_dependabot_waits_a_week_before_proposing_a_release(matrix: RenderedMatrix) -> None:
    """zizmor stops at the first entry with a cooldown, so every entry is checked here."""
    for combination, project in matrix.all().items():
        config = yaml.safe_load((project / ".github" / "dependabot.yml").read_text())
        for update in config["updates"]:
            assert update["cooldown"]["default-days"] >= 7, (combination, update)


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


def step_index(job: dict[str, Any], predicate: Any, what: str) -> int:
    matches = [index for index, step in enumerate(job["steps"]) if predicate(step)]
    assert len(matches) == 1, f"expected one step that {what}, found {len(matches)}"
    return matches[0]


def uses(action: str) -> Any:
    return lambda step: str(step.get("uses", "")).startswith(f"{action}@")


def runs(text: str) -> Any:
    return lambda step: text in step.get("run", "")


def platform_of(combination: str) -> str:
    platform: str = COMBINATIONS[combination]["deploy_platform"]
    return platform


def rollout_needs(workflow: dict[str, Any], stage: str, combination: str) -> None:
    """The stages after the images: migrations, then the deploy, then the tag that names it."""
    jobs = workflow["jobs"]
    images = [f"{stage}-{component}" for component in components(combination)]
    assert jobs["migrate"]["uses"] == "./.github/workflows/migrate.yml"
    assert jobs["migrate"]["needs"] == images
    if platform_of(combination) == "none":
        assert "deploy" not in jobs
        assert jobs["tag"]["needs"] == ["migrate", *images]
    else:
        assert jobs["deploy"]["needs"] == ["migrate", *images]
        assert jobs["tag"]["needs"] == ["deploy", *images]


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_staging_publishes_only_what_passed_ci_and_its_scan(
    matrix: RenderedMatrix, combination: str
) -> None:
    staging = workflows(matrix[combination])["deploy-staging.yml"]
    assert staging["concurrency"]["cancel-in-progress"] is True
    checks = staging["jobs"]["checks"]
    assert checks["uses"] == "./.github/workflows/ci.yml"
    assert checks["if"] == "github.ref == 'refs/heads/main'"
    ci = workflows(matrix[combination])["ci.yml"]
    assert set(ci[True]) == {"pull_request", "workflow_call"}  # YAML reads `on` as True
    publishing = {name for name in staging["jobs"] if name.startswith("publish-")}
    assert publishing == {f"publish-{component}" for component in components(combination)}
    for component in components(combination):
        publish = staging["jobs"][f"publish-{component}"]
        assert publish["needs"] == "checks"
        assert publish["env"]["IMAGE"].endswith(f"/{component}")
        assert publish["permissions"] == {
            "contents": "read",
            "packages": "write",
            "id-token": "write",
            "attestations": "write",
        }
        build = step_index(publish, uses("docker/build-push-action"), "builds")
        settings = publish["steps"][build]["with"]
        assert settings["context"] == component
        assert settings["load"] is True and settings["push"] is False
        assert "VERSION=${{ steps.stamp.outputs.version }}" in settings["build-args"]
        manifest = "pyproject.toml" if component == "backend" else "package.json"
        stamp = step_index(publish, lambda step: step.get("id") == "stamp", "stamps")
        assert f"{component}/{manifest}" in publish["steps"][stamp]["run"]
        trivy = [
            index
            for index, step in enumerate(publish["steps"])
            if "trivy-action@" in step.get("uses", "")
        ]
        scan, sbom = trivy
        assert publish["steps"][scan]["with"]["exit-code"] == "1"
        assert publish["steps"][scan]["with"]["image-ref"] == "${{ env.IMAGE }}:${{ github.sha }}"
        assert publish["steps"][sbom]["with"]["format"] == "spdx-json"
        push = step_index(publish, runs('docker push --quiet "$IMAGE:$GITHUB_SHA"'), "pushes")
        provenance, sbom_attestation = [
            index for index, step in enumerate(publish["steps"]) if uses("actions/attest")(step)
        ]
        assert "sbom-path" not in publish["steps"][provenance]["with"]
        assert publish["steps"][sbom_attestation]["with"]["sbom-path"].endswith("sbom.spdx.json")
        for index in (provenance, sbom_attestation):
            attestation = publish["steps"][index]["with"]
            assert attestation["subject-digest"] == "${{ steps.push.outputs.digest }}"
            assert attestation["push-to-registry"] is True
        sign = step_index(publish, runs('cosign sign --yes "$IMAGE@$DIGEST"'), "signs")
        # Nothing reaches the registry before the scan passed, and what is attested and signed
        # is the digest the registry reports for the pushed image.
        assert build < scan < sbom < push < provenance < sbom_attestation < sign
        assert publish["outputs"]["digest"] == "${{ steps.push.outputs.digest }}"
        assert not any("imagetools create" in step.get("run", "") for step in publish["steps"])
    rollout_needs(staging, "publish", combination)
    tagging = "\n".join(step.get("run", "") for step in staging["jobs"]["tag"]["steps"])
    assert tagging.count('--prefer-index=false --tag "$IMAGE:staging" "$IMAGE@$DIGEST"') == len(
        components(combination)
    )


def test_trivy_is_pinned_to_a_release_after_the_hijacked_tags(matrix: RenderedMatrix) -> None:
    for path in files(matrix, f"{WORKFLOWS}/deploy-staging.yml"):
        lines = [line for line in path.read_text().splitlines() if "trivy-action@" in line]
        assert lines
        for line in lines:
            version = re.search(r"# v(\d+)\.(\d+)\.(\d+)", line)
            assert version is not None
            assert tuple(map(int, version.groups())) >= (0, 35, 0)


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_production_verifies_then_promotes_the_staging_digest_without_building(
    matrix: RenderedMatrix, combination: str
) -> None:
    production = workflows(matrix[combination])["deploy-production.yml"]
    text = yaml.safe_dump(production)
    assert "build-push-action" not in text
    assert re.search(r"docker (buildx )?build ", text) is None
    assert production[True] == {"release": {"types": ["published"]}}
    # Every release waits its turn; none is dropped or stopped half-way.
    assert production["concurrency"] == {
        "group": "deploy-production",
        "cancel-in-progress": False,
        "queue": "max",
    }
    verifying = {name for name in production["jobs"] if name.startswith("verify-")}
    assert verifying == {f"verify-{component}" for component in components(combination)}
    for component in components(combination):
        verify = production["jobs"][f"verify-{component}"]
        assert verify["env"]["IMAGE"].endswith(f"/{component}")
        assert verify["if"] == "${{ !github.event.release.prerelease }}"
        check_tag = verify["steps"][0]
        assert check_tag["env"] == {"TAG": "${{ github.event.release.tag_name }}"}
        assert '[[ ! "$TAG" =~ ^v[0-9]+\\.[0-9]+\\.[0-9]+$ ]]' in check_tag["run"]
        find = step_index(verify, runs('imagetools inspect "$IMAGE:$GITHUB_SHA"'), "finds")
        signature = step_index(verify, runs("cosign verify "), "verifies the signature")
        attestations = step_index(verify, runs("gh attestation verify"), "verifies attestations")
        assert find < signature < attestations
        gh = verify["steps"][attestations]["run"]
        assert gh.count('--signer-workflow "$WORKFLOW" --source-ref refs/heads/main') == 2
        assert "--predicate-type https://spdx.dev/Document/v2.3" in gh
        assert verify["steps"][attestations]["env"]["WORKFLOW"].endswith(
            "/.github/workflows/deploy-staging.yml"
        )
        assert "imagetools create" not in yaml.safe_dump(verify)
    rollout_needs(production, "verify", combination)
    tagging = "\n".join(step.get("run", "") for step in production["jobs"]["tag"]["steps"])
    assert tagging.count('--tag "$IMAGE:$TAG" --tag "$IMAGE:latest" "$IMAGE@$DIGEST"') == len(
        components(combination)
    )


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_attestations_are_made_and_checked_under_the_same_condition(
    matrix: RenderedMatrix, combination: str
) -> None:
    """GitHub attests for public repositories, or private ones on Enterprise Cloud."""
    found = workflows(matrix[combination])
    condition = (
        "github.event.repository.visibility == 'public' || vars.ARTIFACT_ATTESTATIONS == 'true'"
    )
    for name, stage in [("deploy-staging.yml", "publish"), ("deploy-production.yml", "verify")]:
        for component in components(combination):
            job = found[name]["jobs"][f"{stage}-{component}"]
            guarded = [
                step
                for step in job["steps"]
                if "attest" in step.get("uses", "") or "gh attestation" in step.get("run", "")
            ]
            assert guarded and all(step["if"] == condition for step in guarded), name


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_migrations_run_in_the_environment_or_say_why_not(
    matrix: RenderedMatrix, combination: str
) -> None:
    migrate = workflows(matrix[combination])["migrate.yml"]
    assert set(migrate[True]) == {"workflow_call"}
    (job,) = migrate["jobs"].values()
    assert job["environment"] == "${{ inputs.environment }}"
    check = job["steps"][0]
    assert "::notice title=Migrations not applied::" in check["run"]
    assert set(check["env"]) >= {"SUPABASE_ACCESS_TOKEN", "SUPABASE_DB_PASSWORD"}
    apply = job["steps"][-1]
    commands = apply["run"].splitlines()
    assert commands[0] == 'supabase link --project-ref "$SUPABASE_PROJECT_ID"'
    assert commands[2] == 'supabase db push --yes 2> "$RUNNER_TEMP/push.log" || status=$?'
    assert "The database is ahead of this commit" in apply["run"]
    for step in job["steps"][1:]:
        assert step["if"] == "steps.project.outputs.configured == 'true'"
    setup = next(step for step in job["steps"] if uses("supabase/setup-cli")(step))
    assert setup["with"]["version"].startswith("2.")  # 3.x pushes to the local stack by default


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_a_deploy_job_exists_only_for_a_platform(matrix: RenderedMatrix, combination: str) -> None:
    platform = platform_of(combination)
    found = workflows(matrix[combination])
    for name in ["deploy-staging.yml", "deploy-production.yml"]:
        assert ("deploy" in found[name]["jobs"]) == (platform != "none"), name
    assert ("deploy.yml" in found) == (platform != "none")
    if platform == "none":
        return
    for name, stage in [("deploy-staging.yml", "publish"), ("deploy-production.yml", "verify")]:
        deploy = found[name]["jobs"]["deploy"]
        assert deploy["uses"] == "./.github/workflows/deploy.yml"
        expected = {
            "environment": "staging" if stage == "publish" else "production",
            "digest": f"${{{{ needs.{stage}-backend.outputs.digest }}}}",
        }
        if COMBINATIONS[combination]["include_frontend"]:
            expected["frontend-digest"] = f"${{{{ needs.{stage}-frontend.outputs.digest }}}}"
        assert deploy["with"] == expected


# The digest reaches the platform in each of these; a tag never does.
DEPLOY_BY_DIGEST = {
    "railway": 'railway_deploy.py "$RAILWAY_SERVICE" "$IMAGE@$DIGEST"',
    "cloud-run": "/backend@${{ inputs.digest }}",
    "fly": '--image "registry.fly.io/$FLY_APP@$DIGEST"',
    "alibaba": 'set image deployment/my-service backend="$TARGET@$DIGEST"',
    "ssh": '"$SSH_USER@$SSH_HOST" "$DIGEST',
}


@pytest.mark.parametrize(
    "combination", [name for name in COMBINATIONS if platform_of(name) != "none"]
)
def test_each_deploy_runs_the_digest_then_checks_the_service(
    matrix: RenderedMatrix, combination: str
) -> None:
    deploy = workflows(matrix[combination])["deploy.yml"]
    (job,) = deploy["jobs"].values()
    assert job["environment"] == {
        "name": "${{ inputs.environment }}",
        "url": "${{ vars.SERVICE_URL }}",
    }
    text = "\n".join(
        part
        for step in job["steps"]
        for part in [step.get("run", ""), *map(str, step.get("with", {}).values())]
    )
    assert DEPLOY_BY_DIGEST[platform_of(combination)] in text
    assert ":staging" not in text and ":latest" not in text
    previous = step_index(job, lambda step: step.get("id") == "previous", "finds the previous")
    check = job["steps"][-1]
    assert check["run"] == '.github/scripts/verify-deployment.sh "$SERVICE_URL" "$GITHUB_SHA"'
    assert check["env"]["SERVICE_URL"] == "${{ vars.SERVICE_URL }}"
    assert check["env"]["PREVIOUS"] == "${{ steps.previous.outputs.digest }}"
    assert check["env"]["ROLLBACK"]
    assert previous < len(job["steps"]) - 2  # found before the deploy step, checked after it
    # Fly and ACK need an app or manifests of the user's own for it: docs/deployment.md.
    deploys_frontend = platform_of(combination) in {"railway", "cloud-run", "ssh"}
    everything = yaml.safe_dump(job)
    assert ("inputs.frontend-digest" in everything) == (
        deploys_frontend and COMBINATIONS[combination]["include_frontend"]
    )
    if not COMBINATIONS[combination]["include_frontend"]:
        assert "frontend" not in everything


def test_cloud_run_takes_traffic_only_once_the_service_is_ready(matrix: RenderedMatrix) -> None:
    (job,) = workflows(matrix["static-cloud-run"])["deploy.yml"]["jobs"].values()
    deploy = next(
        step for step in job["steps"] if uses("google-github-actions/deploy-cloudrun")(step)
    )
    flags = deploy["with"]["flags"].split()
    startup = next(flag for flag in flags if flag.startswith("--startup-probe="))
    liveness = next(flag for flag in flags if flag.startswith("--liveness-probe="))
    assert "httpGet.path=/readyz" in startup.split(",")[0]
    assert "httpGet.path=/healthz" in liveness.split(",")[0]
    settings = dict(item.split("=") for item in startup.removeprefix("--startup-probe=").split(","))
    # Cloud Run allows a startup probe 240 s at most, and a timeout no longer than the period.
    assert int(settings["periodSeconds"]) * int(settings["failureThreshold"]) <= 240
    assert int(settings["timeoutSeconds"]) <= int(settings["periodSeconds"])


def test_alibaba_deploys_with_oidc_and_no_stored_key(matrix: RenderedMatrix) -> None:
    (job,) = workflows(matrix["static-alibaba"])["deploy.yml"]["jobs"].values()
    assert job["permissions"]["id-token"] == "write"
    credentials = step_index(job, uses("aliyun/configure-aliyun-credentials-action"), "assumes")
    login = step_index(job, uses("aliyun/acr-login"), "logs in to ACR")
    context = step_index(job, uses("aliyun/ack-set-context"), "gets the kubeconfig")
    rollout = step_index(job, runs("rollout status"), "rolls out")
    assert credentials < login < context < rollout
    assert set(job["steps"][credentials]["with"]) == {"role-to-assume", "oidc-provider-arn"}
    for index in (login, context):
        assert job["steps"][index]["with"]["security-token"] == (
            "${{ steps.aliyun.outputs.aliyun-security-token }}"
        )
    assert "secrets." not in yaml.safe_dump(job).replace("secrets.GITHUB_TOKEN", "")


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_each_platform_uses_its_own_mechanism_and_secrets_only(
    matrix: RenderedMatrix, combination: str
) -> None:
    project = matrix[combination]
    platform = platform_of(combination)
    text = workflow_text(project)
    for other, markers in PLATFORM_MARKERS.items():
        for marker in markers:
            assert (marker in text) == (other == platform), f"{marker!r} with {platform}"
    secrets = set(re.findall(r"secrets\.([A-Z_]+)", text)) - {"GITHUB_TOKEN"}
    assert secrets == PLATFORM_SECRETS[platform] | MIGRATION_SECRETS
    for other, paths in PLATFORM_FILES.items():
        for path in paths:
            assert (project / path).is_file() == (other == platform), path
    assert (project / ".github/scripts/verify-deployment.sh").is_file() == (platform != "none")
    for gone in ["railway redeploy", "railway up", "@railway/cli", "appleboy/ssh-action"]:
        assert gone not in text


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
    assert all(secret in example for secret in MIGRATION_SECRETS)


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
    for label in ["source", "revision", "version", "description"]:
        assert f"org.opencontainers.image.{label}=" in dockerfile
    assert "GIT_COMMIT=${GIT_COMMIT}" in dockerfile
    if COMBINATIONS[combination]["include_frontend"]:
        frontend = (matrix[combination] / "frontend" / "Dockerfile").read_text()
        for label in ["title", "description", "source", "revision", "version", "created"]:
            assert f"org.opencontainers.image.{label}=" in frontend
        # The version the staging workflow stamps on the image.
        package = json.loads((matrix[combination] / "frontend" / "package.json").read_text())
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"])
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
    # The autoscaler owns the count: one in the Deployment would reset it on every apply.
    assert "replicas" not in deployment["spec"]
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
    backend, frontend, newer = ("sha256:" + letter * 64 for letter in "abc")
    (tmp_path / "compose.gateway.yml").touch()
    frontend_image = "ghcr.io/your-github-org/my-service/frontend"

    backend_only = run_ssh_deploy(project, tmp_path, f"{backend} {frontend}")
    assert backend_only.returncode == 0, backend_only.stderr
    deployed = (tmp_path / "deployed.env").read_text()
    assert "COMPOSE_FILE=compose.yml:compose.gateway.yml\n" in deployed
    assert "COMPOSE_PROFILES" not in deployed

    (tmp_path / "frontend.env").write_text("API_URL=https://api.example.com\n")
    with_frontend = run_ssh_deploy(project, tmp_path, f"{backend} {frontend}")
    assert with_frontend.returncode == 0, with_frontend.stderr
    deployed = (tmp_path / "deployed.env").read_text()
    assert f"COMPOSE_PROFILES=ui\nFRONTEND_IMAGE={frontend_image}@{frontend}\n" in deployed
    assert "up --detach --wait --remove-orphans" in (tmp_path / "docker.log").read_text()

    # A backend-only rollback by hand keeps the frontend that runs.
    rollback = run_ssh_deploy(project, tmp_path, newer)
    assert rollback.returncode == 0, rollback.stderr
    deployed = (tmp_path / "deployed.env").read_text()
    assert f"BACKEND_IMAGE=ghcr.io/your-github-org/my-service/backend@{newer}\n" in deployed
    assert f"FRONTEND_IMAGE={frontend_image}@{frontend}\n" in deployed

    for hostile in [f"{backend} latest", f"{backend} {frontend}; reboot", f"{backend}  {frontend}"]:
        refused = run_ssh_deploy(project, tmp_path, hostile)
        assert refused.returncode == 2, hostile
        assert "expected an image digest" in refused.stderr
    assert (
        f"FRONTEND_IMAGE={frontend_image}@{frontend}\n" in (tmp_path / "deployed.env").read_text()
    )


# --- The template's own workflows ----------------------------------------------------------


def test_the_template_s_own_workflows_pass_the_same_checks() -> None:
    own = workflows(TEMPLATE_ROOT)
    assert set(own) == {"ci.yml", "release.yml"}
    paths = sorted((TEMPLATE_ROOT / WORKFLOWS).glob("*.yml"))
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *paths)
    assert result.returncode == 0, result.stdout + result.stderr
    result = tool("zizmor", "--offline", "--no-progress", TEMPLATE_ROOT / WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    result = actionlint(TEMPLATE_ROOT)
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

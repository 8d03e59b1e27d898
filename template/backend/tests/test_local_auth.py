"""`make local-auth` and `make token`: local sign-in that a deployed service refuses."""

import json
from pathlib import Path

import anyio
import pytest

from app.core.auth import ClerkAuthenticator
from scripts.local_auth import LocalAuthFiles, init, main, set_env_value
from tests.conftest import SettingsFactory


@pytest.fixture
def files(tmp_path: Path) -> LocalAuthFiles:
    (tmp_path / ".env").write_text("ENVIRONMENT=local\nLOG_FORMAT=console\n")
    return LocalAuthFiles(tmp_path)


def test_init_creates_a_private_key_and_trusts_it_locally(files: LocalAuthFiles) -> None:
    keys = init(files)

    assert files.private_key.stat().st_mode & 0o777 == 0o600
    env = files.env_file.read_text()
    assert env.startswith("ENVIRONMENT=local\nLOG_FORMAT=console\n")
    assert env.count("CLERK_JWT_KEY=") == 1
    (signing_key,) = json.loads(files.supabase_signing_keys.read_text())
    assert signing_key["kid"] == keys.key_id
    assert signing_key["alg"] == "RS256"
    assert "d" in signing_key  # the CLI signs with it, so it is the private half


def test_init_keeps_the_key_when_run_again(files: LocalAuthFiles) -> None:
    first = init(files)
    env_after_first = files.env_file.read_text()

    second = init(files)

    assert second.private_pem() == first.private_pem()
    assert files.env_file.read_text() == env_after_first


def test_a_printed_token_is_accepted_by_a_local_service(
    files: LocalAuthFiles,
    make_settings: SettingsFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["init"], files)
    main(["token", "user_local", "--azp", "http://localhost:5173"], files)
    token = capsys.readouterr().out.strip().splitlines()[-1]
    env_line = next(
        line for line in files.env_file.read_text().splitlines() if line.startswith("CLERK_JWT")
    )
    settings = make_settings(
        clerk_jwt_key=env_line.split("=", 1)[1].strip('"'),
        clerk_authorized_parties="http://localhost:5173",
    )

    principal = anyio.run(ClerkAuthenticator(settings).authenticate, f"Bearer {token}")

    assert principal.user_id == "user_local"


def test_token_without_a_key_says_what_to_run(files: LocalAuthFiles) -> None:
    with pytest.raises(SystemExit, match="make local-auth"):
        main(["token", "user_local"], files)


def test_set_env_value_replaces_only_its_own_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("A=1\nCLERK_JWT_KEY=old\nB=2")

    set_env_value(env_file, "CLERK_JWT_KEY", "new")
    set_env_value(env_file, "C", "3")

    assert env_file.read_text() == 'A=1\nCLERK_JWT_KEY="new"\nB=2\nC="3"\n'

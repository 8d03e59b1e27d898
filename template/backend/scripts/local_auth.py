"""Sign in locally without a Clerk account.

    python -m scripts.local_auth init            # key pair, CLERK_JWT_KEY in .env, Supabase key
    python -m scripts.local_auth token user_123  # print a session token for that user

`make local-auth` and `make token USER_ID=...` run these. Everything written is git-ignored.
"""

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

from app.core.local_auth import LocalKeyPair

DEFAULT_AUTHORIZED_PARTY = "http://localhost:5173"


@dataclass(frozen=True)
class LocalAuthFiles:
    root: Path

    @property
    def private_key(self) -> Path:
        return self.root / ".local-auth" / "private.pem"

    @property
    def supabase_signing_keys(self) -> Path:
        return self.root / "supabase" / "signing_keys.json"

    @property
    def env_file(self) -> Path:
        return self.root / ".env"


PROJECT = LocalAuthFiles(Path(__file__).resolve().parents[2])


def init(files: LocalAuthFiles = PROJECT) -> LocalKeyPair:
    """Create the key pair once; rewrite what depends on it every time (idempotent)."""
    if files.private_key.exists():
        keys = LocalKeyPair.from_pem(files.private_key.read_bytes())
    else:
        keys = LocalKeyPair.generate()
        files.private_key.parent.mkdir(parents=True, exist_ok=True)
        files.private_key.write_bytes(keys.private_pem())
        files.private_key.chmod(0o600)
    files.supabase_signing_keys.parent.mkdir(parents=True, exist_ok=True)
    files.supabase_signing_keys.write_text(json.dumps([keys.private_jwk()], indent=2) + "\n")
    files.supabase_signing_keys.chmod(0o600)
    set_env_value(files.env_file, "CLERK_JWT_KEY", one_line(keys.public_pem()))
    return keys


def one_line(pem: str) -> str:
    """A PEM as one .env line: settings turn the \\n escapes back into newlines."""
    return pem.strip().replace("\n", "\\n")


def set_env_value(env_file: Path, name: str, value: str) -> None:
    """Set NAME="value" in the .env file, replacing its line if any, keeping every other line."""
    line = f'{name}="{value}"'
    text = env_file.read_text() if env_file.exists() else ""
    pattern = re.compile(rf"^{re.escape(name)}=.*$", re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: line, text)
    else:
        text = text + ("" if text.endswith("\n") or not text else "\n") + line + "\n"
    env_file.write_text(text)


def token(user_id: str, authorized_party: str, files: LocalAuthFiles = PROJECT) -> str:
    if not files.private_key.exists():
        raise SystemExit("No local key yet: run `make local-auth` first.")
    keys = LocalKeyPair.from_pem(files.private_key.read_bytes())
    return keys.session_token(user_id, authorized_party=authorized_party)


def main(argv: list[str] | None = None, files: LocalAuthFiles = PROJECT) -> None:
    parser = argparse.ArgumentParser(description="Local sign-in without a Clerk account.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the key pair and trust it locally")
    token_parser = commands.add_parser("token", help="print a session token")
    token_parser.add_argument("user_id", help="a Clerk-style user id, e.g. user_local")
    token_parser.add_argument("--azp", default=DEFAULT_AUTHORIZED_PARTY, help="authorized party")
    arguments = parser.parse_args(argv)
    if arguments.command == "init":
        init(files)
        print(f"Local auth ready: CLERK_JWT_KEY is set in {files.env_file}")
    else:
        print(token(arguments.user_id, arguments.azp, files))


if __name__ == "__main__":
    main()

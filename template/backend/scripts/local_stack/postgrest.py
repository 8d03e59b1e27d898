"""PostgREST on a free port, connecting as `authenticator` and trusting the given signing keys."""

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scripts.local_stack.postgres import free_port
from scripts.local_stack.tools import find_postgrest


@dataclass
class PostgREST:
    db_uri: str
    # JWKs of the keys whose tokens it accepts: the ones the service trusts.
    trusted_keys: list[dict[str, Any]]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PGRST_DB_URI": self.db_uri,
            "PGRST_DB_SCHEMAS": "public",
            "PGRST_DB_ANON_ROLE": "anon",
            # As Supabase's max_rows (supabase/config.toml): no answer holds more rows.
            "PGRST_DB_MAX_ROWS": "1000",
            "PGRST_JWT_SECRET": json.dumps({"keys": self.trusted_keys}),
            "PGRST_SERVER_HOST": "127.0.0.1",
            "PGRST_SERVER_PORT": str(self.port),
            # The schema is read at start: restart after a migration (make dev applies them).
            "PGRST_DB_CHANNEL_ENABLED": "false",
            "PGRST_LOG_LEVEL": "error",
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [find_postgrest()], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(self.url, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                lines = self.log.read_text(errors="replace").splitlines()
                raise RuntimeError(
                    f"PostgREST did not start; the end of {self.log}:\n" + "\n".join(lines[-15:])
                )
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

"""Supabase's API gateway, played by Debian's nginx in front of PostgREST: /rest/v1 routed with
the prefix stripped, the apikey required (and not passed on), the Authorization header passed
on, connections to PostgREST kept alive, as Supabase's Kong does.

While it captures, it logs what each request to PostgREST was (method, path and query, the
headers PostgREST reads, the body), so the baseline can send exactly what the service sent.
"""

import json
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.commands import free_port

NGINX = "/usr/sbin/nginx"
# What the capture log records; headers as nginx names them ($http_<name>).
CAPTURED_HEADERS = [
    "authorization",
    "apikey",
    "prefer",
    "content_type",
    "accept",
    "accept_profile",
    "content_profile",
]


@dataclass(frozen=True)
class Captured:
    method: str
    uri: str
    headers: dict[str, str]
    body: str


@dataclass
class Nginx:
    upstream: str
    apikey: str
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    generation: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def capture_log(self) -> Path:
        return self.folder / "capture.log"

    def _configure(self, capture: bool) -> None:
        self.generation += 1
        folder, upstream = self.folder, self.upstream.removeprefix("http://").rstrip("/")
        fields = ",".join(
            f'"{name}":"$http_{name}"' if name != "content_type" else f'"{name}":"$content_type"'
            for name in CAPTURED_HEADERS
        )
        log_format = (
            '\'{"method":"$request_method","uri":"$request_uri","body":"$request_body",'
            + fields
            + "}'"
        )
        logging = f"access_log {self.capture_log} capture;" if capture else ""
        (folder / "nginx.conf").write_text(f"""
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  log_format capture escape=json {log_format};
  # The key is a JWT, longer than a bucket of the default size.
  map_hash_bucket_size 512;
  map $http_apikey $apikey_valid {{ default 0; "{self.apikey}" 1; }}
  upstream postgrest {{ server {upstream}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{self.port};
    default_type application/json;
    location = /bench-generation {{ return 200 "{self.generation}"; }}
    location /rest/v1/ {{
      {logging}
      if ($apikey_valid = 0) {{ return 401 '{{"message":"Invalid API key"}}'; }}
      proxy_pass http://postgrest/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header apikey "";
    }}
  }}
}}
""")

    def _wait_for_generation(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                answer = httpx.get(f"{self.url}/bench-generation", timeout=1)
                if answer.text == str(self.generation):
                    return
            except httpx.TransportError:
                pass
            if (self.process and self.process.poll() is not None) or time.monotonic() > deadline:
                errors = (self.folder / "error.log").read_text(errors="replace")
                raise RuntimeError(f"nginx did not start:\n{errors}")
            time.sleep(0.02)

    def start(self) -> None:
        self._configure(capture=True)
        folder = self.folder
        command = [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")]
        self.process = subprocess.Popen(
            [*command, "-e", str(folder / "error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_for_generation()

    def stop_capturing(self) -> None:
        """Reload without the capture log, for the measured runs."""
        self._configure(capture=False)
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)
        self._wait_for_generation()
        # The old worker ends once its connections close; its CPU then moves to the master's.
        time.sleep(0.5)

    def captured(self) -> list[Captured]:
        if not self.capture_log.exists():
            return []
        requests = []
        for line in self.capture_log.read_text().splitlines():
            entry = json.loads(line)
            headers = {
                name.replace("_", "-"): entry[name] for name in CAPTURED_HEADERS if entry[name]
            }
            requests.append(Captured(entry["method"], entry["uri"], headers, entry["body"]))
        return requests

    def settled_capture(self) -> list[Captured]:
        """What was captured, once nothing more arrives: nginx logs a request after its answer
        went out, so a moment after the service answered."""
        captured = self.captured()
        while True:
            time.sleep(0.2)
            again = self.captured()
            if len(again) == len(captured):
                return again
            captured = again

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


@contextmanager
def nginx_gateway(upstream: str, apikey: str) -> Iterator[Nginx]:
    """nginx in front of `upstream`, capturing until `stop_capturing()`."""
    if not Path(NGINX).is_file():
        raise SystemExit(f"bench: {NGINX} is missing; install it: sudo apt-get install nginx")
    folder = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    # nginx started as root serves as an unprivileged user.
    folder.chmod(0o755)
    gateway = Nginx(upstream, apikey, folder, free_port())
    try:
        gateway.start()
        yield gateway
    finally:
        gateway.stop()
        shutil.rmtree(folder, ignore_errors=True)

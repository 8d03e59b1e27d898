#!/usr/bin/env bash
# Waits until a deployed service is live, ready and running the commit that was deployed:
#   verify-deployment.sh <service URL> <commit sha>
# /healthz and /readyz must answer 200 and /version must report the commit, within
# VERIFY_TIMEOUT seconds (300). Otherwise it says what it saw last, prints ROLLBACK (how to go
# back to PREVIOUS, the digest that ran before, on this platform; set by the workflow) and fails.
set -euo pipefail

readonly url="${1%/}"
readonly commit="$2"
readonly timeout="${VERIFY_TIMEOUT:-300}"
readonly interval="${VERIFY_INTERVAL:-5}"

if [[ ! "$url" =~ ^https?://[^[:space:]]+$ ]]; then
  echo "::error::The environment's SERVICE_URL variable must be the service's URL (https://...), got '${url:0:80}'"
  exit 2
fi

# Prints the status code of a GET, and keeps its body in $body_file.
body_file=$(mktemp)
trap 'rm -f "$body_file"' EXIT
status_of() {
  curl --silent --max-time 5 --proto '=http,https' --output "$body_file" \
    --write-out '%{http_code}' "$url$1" || true
}

deadline=$((SECONDS + timeout))
while true; do
  healthz=$(status_of /healthz)
  readyz=$(status_of /readyz)
  version=$(status_of /version)
  reported=""
  if [[ "$version" == 200 ]]; then
    reported=$(python3 -c 'import json, sys; print(json.load(sys.stdin).get("commit", ""))' \
      < "$body_file" 2>/dev/null || true)
  fi
  seen="/healthz $healthz, /readyz $readyz, /version $version reporting commit '${reported:0:40}'"
  if [[ "$healthz" == 200 && "$readyz" == 200 && "$reported" == "$commit" ]]; then
    echo "verify-deployment: $url is live and ready, running $commit"
    exit 0
  fi
  if ((SECONDS >= deadline)); then
    break
  fi
  echo "verify-deployment: waiting for $commit ($seen)"
  sleep "$interval"
done

echo "::error::$url did not become healthy with commit $commit within ${timeout}s. Last seen: $seen"
if [[ "${PREVIOUS:-none}" == none ]]; then
  echo "Nothing ran in this environment before this deploy: fix forward."
elif [[ -n "${ROLLBACK:-}" ]]; then
  echo "To roll back to $PREVIOUS, which ran here before: $ROLLBACK"
fi
exit 1

#!/usr/bin/env bash
# Proves the way off cdktf (archived): synthesizes the default app with the CDK Terrain fork (cdktn,
# cdktn-cli, @cdktn/provider-aws) in a scratch copy whose imports are renamed, and compares each stack with
# what cdktf synthesizes. They must be identical apart from the provider version pin (and the cdktf/cdktn
# version in the "//" metadata). Needs the npm registry. Exit 0 when identical, 1 with the differences.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
CDKTN_VERSION="${CDKTN_VERSION:-0.24.0}"
PROVIDER_VERSION="${CDKTN_PROVIDER_AWS_VERSION:-25.7.0}"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/cdktn-check.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# The app's sources, with cdktf imports renamed to the fork's.
app="$scratch/app"
mkdir -p "$app/service/src"
cp -r "$root/main.ts" "$root/config" "$root/constructs" "$root/tsconfig.json" "$app/"
cp "$root/service/src/container-contract.ts" "$app/service/src/"
sed 's/cdktf/cdktn/g' "$root/cdktf.json" >"$app/cdktn.json"
find "$app" -name '*.ts' -exec sed -i -e "s#from 'cdktf'#from 'cdktn'#" -e "s#'@cdktf/provider-aws/#'@cdktn/provider-aws/#" {} +
if grep -rn "cdktf'" "$app" --include='*.ts' | grep -v '^\s*//' | grep -q "from '"; then
  echo "check-cdktn: imports of cdktf left after renaming:" >&2
  grep -rn "from '.*cdktf" "$app" --include='*.ts' >&2
  exit 1
fi

echo "check-cdktn: installing cdktn@$CDKTN_VERSION cdktn-cli@$CDKTN_VERSION @cdktn/provider-aws@$PROVIDER_VERSION"
(
  cd "$app"
  npm init -y >/dev/null
  # constructs: the fork's peer range (>=10.6 <10.8).
  npm install --no-audit --no-fund --loglevel=error \
    "cdktn@$CDKTN_VERSION" "cdktn-cli@$CDKTN_VERSION" "@cdktn/provider-aws@$PROVIDER_VERSION" \
    "constructs@~10.7.0" "ts-node@^10.9.2" "typescript@~5.9.3" "@types/node@^20" >/dev/null
)

# Same app, both toolkits, into scratch output directories.
(cd "$app" && CDKTF_OUTDIR="$scratch/out-cdktn" node -r ts-node/register/transpile-only main.ts >/dev/null)
(cd "$root" && CDKTF_OUTDIR="$scratch/out-cdktf" node -r ts-node/register/transpile-only main.ts >/dev/null)

node "$root/scripts/compare-synth.js" "$scratch/out-cdktf" "$scratch/out-cdktn"

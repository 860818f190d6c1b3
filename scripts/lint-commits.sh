#!/usr/bin/env bash
# Lints the messages of every commit after COMMITS_CHECKED_FROM (the rule's starting point: earlier
# history is left as it is) with commitlint.config.mjs. Merge commits are skipped by commitlint.
# Outside a git clone, or in a shallow one that lacks that commit, there is nothing to check: it says so,
# and fails under CI (CI=true or CI=1, as testkit/ci.ts), where the clone must be complete.
set -euo pipefail
cd "$(dirname "$0")/.."
COMMITS_CHECKED_FROM=b08dff711292400d964bff46875b9161f935f6ba

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1 || ! git cat-file -e "${COMMITS_CHECKED_FROM}^{commit}" 2>/dev/null; then
  echo "lint-commits: commit ${COMMITS_CHECKED_FROM:0:7} is not in this clone; commit messages not checked" >&2
  case "${CI:-}" in true | 1) exit 1 ;; esac
  exit 0
fi
exec npx --no -- commitlint --from "$COMMITS_CHECKED_FROM" --to HEAD

#!/usr/bin/env bash
# CI step: passes on npm run plan's exit codes 0 (no changes) and 2 (changes); fails on 3 (a stateful
# resource replaced or destroyed without the allow-destroy label) and on anything else (an error).
set -u
code="${1:-}"
case "${code}" in
  0 | 2) echo "plan ok (exit ${code})" ;;
  3)
    echo "::error::the plan replaces or destroys resources that hold state or traffic; review it and add the allow-destroy label"
    exit 1
    ;;
  *)
    echo "::error::npm run plan failed (exit '${code}')"
    exit 1
    ;;
esac

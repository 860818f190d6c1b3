#!/usr/bin/env bash
# CI step: plans every stack and records npm run plan's exit code as the step output `exit-code`, so the
# comment and the artifact are written before the job decides (gate.sh). ALLOW_DESTROY=true passes
# --allow-destroy; IMAGE_TAG is the image_tag variable of the plan.
set -uo pipefail
args=(--all --var "image_tag=${IMAGE_TAG:?IMAGE_TAG is required}")
if [ "${ALLOW_DESTROY:-false}" = "true" ]; then args+=(--allow-destroy); fi
npm run --silent plan -- "${args[@]}"
code=$?
echo "exit-code=${code}" >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is required}"
exit 0

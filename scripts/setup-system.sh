#!/usr/bin/env bash
# Installs the system programs the tests use (Debian packages), only those that are missing:
# redis-server (fan-out tests), nginx + openssl (the TLS-terminating proxy standing in for the ALB),
# chromium (the browser test), podman + runc + catatonit (--init) + debootstrap (the container image test,
# which builds its base image from Debian's mirror). Safe to run again; does nothing when all are present.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
[ -x /usr/libexec/podman/catatonit ] || [ -x /usr/bin/catatonit ] || need+=(catatonit)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "setup-system: installing ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The packaged services must not keep running in the background: the tests start their own on free ports.
for svc in redis-server nginx; do
  $SUDO service "$svc" stop >/dev/null 2>&1 || true
done

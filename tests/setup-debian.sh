#!/bin/sh
# setup-debian.sh - install everything optin-milter needs to build and test on Debian 12 (as root)
set -e
pkgs="build-essential autoconf automake autoconf-archive pkg-config
      libmilter-dev liblmdb-dev lmdb-utils libconfig-dev libidn2-dev libunistring-dev
      libcsv-dev libjansson-dev libsodium-dev libspf2-dev miltertest python3"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
echo "setup-debian: build and test dependencies installed"

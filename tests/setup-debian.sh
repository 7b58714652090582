#!/bin/sh
# setup-debian.sh - install everything optin-milter needs to build and test on Debian 12 (as root)
set -e
pkgs="build-essential autoconf automake autoconf-archive pkg-config
      libmilter-dev liblmdb-dev lmdb-utils libconfig-dev libidn2-dev libunistring-dev
      libcsv-dev libjansson-dev libsodium-dev zlib1g-dev libspf2-dev miltertest python3
      libmicrohttpd-dev libgmime-3.0-dev curl mandoc
      postfix postfix-lmdb opendkim opendkim-tools python3-dkim
      libsisimai-perl python3-flufl.bounce
      valgrind clang libclang-rt-14-dev prometheus-node-exporter
      debhelper dpkg-dev fakeroot lintian
      jq acl nginx-light"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Postfix for the integration tests and the demo, which run private instances: installed
# with "No configuration" it writes no /etc/postfix/main.cf and starts nothing (a machine
# that already has Postfix keeps its configuration).
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
# Installing opendkim must not start (or enable) the system's opendkim service: the tests run
# their own. A policy-rc.d that says 101 keeps invoke-rc.d from starting services meanwhile.
# node_exporter reads the milter's metrics file in tests/milter/metrics.sh, which runs its own
# on 127.0.0.1; nginx checks the README's site with nginx -t (tests/docs/snippets.py). A machine
# that did not have them does not get their system services enabled either.
had_exporter= had_nginx=
dpkg -s prometheus-node-exporter > /dev/null 2>&1 && had_exporter=yes
dpkg -s nginx-light > /dev/null 2>&1 || dpkg -s nginx > /dev/null 2>&1 && had_nginx=yes
guard=
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    guard=yes
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null || rc=$?
[ -n "$guard" ] && $SUDO rm -f /usr/sbin/policy-rc.d
[ "${rc:-0}" -eq 0 ] || exit "$rc"
if [ -z "$had_exporter" ] && command -v deb-systemd-helper > /dev/null; then
    $SUDO deb-systemd-helper disable prometheus-node-exporter.service > /dev/null 2>&1 || true
fi
if [ -z "$had_nginx" ] && command -v deb-systemd-helper > /dev/null; then
    $SUDO deb-systemd-helper disable nginx.service > /dev/null 2>&1 || true
fi
# Sendmail for tests/integration/sendmail_real.sh: sendmail-bin conflicts with Postfix, so it is
# not installed; its .debs are only downloaded, into a cache outside the checkout, and the test
# unpacks them (with liblockfile1, which sendmail-bin links and Postfix does not pull in).
debs=/var/cache/optin-milter-tests/debs
$SUDO mkdir -p "$debs"
(cd "$debs" && $SUDO apt-get download -qq -o APT::Sandbox::User=root \
    sendmail-bin sendmail-base sendmail-cf liblockfile1)
echo "setup-debian: build and test dependencies installed; Sendmail's .debs in $debs"

#!/bin/sh
# sandbox.sh - run a shell script as root in a private mount namespace where /etc, /usr and /var
# are overlays whose changes land in STATE (persistent across calls with the same STATE), so that
# commands written for a real machine ("sudo useradd optin", "sudo make install", "install -d
# /var/spool/postfix/optin-milter") run exactly as written and the machine itself is untouched.
# `sudo` runs its command (we are root already; "sudo -u USER" through runuser). Exit status: the script's; 77 when this
# machine cannot make overlays (not root, no unshare or overlayfs).
# Usage: sandbox.sh STATE SCRIPT [ARGS...]
state=$1 script=$2
shift 2
[ "$(id -u)" = 0 ] || { echo "sandbox: needs root" >&2; exit 77; }
command -v unshare > /dev/null || { echo "sandbox: no unshare (util-linux)" >&2; exit 77; }
mkdir -p "$state/shim"
for d in etc usr var; do mkdir -p "$state/upper/$d" "$state/work/$d"; done
printf '#!/bin/sh\nif [ "$1" = -u ]; then u=$2; shift 2; exec runuser -u "$u" -- "$@"; fi\nexec "$@"\n' > "$state/shim/sudo"
chmod 755 "$state/shim/sudo"
exec unshare -m sh -c '
    state=$1 script=$2; shift 2
    mount --make-rprivate / 2> /dev/null
    for d in etc usr var; do
        mount -t overlay overlay -o "lowerdir=/$d,upperdir=$state/upper/$d,workdir=$state/work/$d" "/$d" \
            || { echo "sandbox: no overlay on /$d" >&2; exit 77; }
    done
    PATH=$state/shim:$PATH
    export PATH
    exec sh -e "$script" "$@"' sandbox "$state" "$script" "$@"

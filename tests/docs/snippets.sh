#!/bin/sh
# snippets.sh - every command and snippet of the README and the man pages, run or checked
# (tests/docs/snippets.py says how); TAP. As root it runs the README's setup in a sandbox.
# Environment (set by make check): top_srcdir, top_builddir. By hand:
#   top_srcdir=. top_builddir=. sh tests/docs/snippets.sh
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
command -v python3 > /dev/null || { echo "1..0 # SKIP python3 is missing"; exit 0; }
exec python3 "$top_srcdir/tests/docs/snippets.py" "$top_srcdir" "$top_builddir"

#!/bin/sh
# autogen.sh - make ./configure from configure.ac and Makefile.am (needs autoconf, automake, autoconf-archive)
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf -fi

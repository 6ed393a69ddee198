#!/bin/sh
# Installs the Debian 12 packages calcinosis needs to build and test,
# checking first and installing only what is missing.
# Usage: sh tools/deps.sh [build|test|static]   (default: test; static: the
# build packages and the static analysers, for make static)
set -e
kind=${1:-test}
pkgs="gcc make libc6-dev lua5.4 liblua5.4-dev lua-lpeg lua-cjson lua-dkjson"
if [ "$kind" = test ]; then
  pkgs="$pkgs lua5.3 liblua5.3-dev luarocks lua-busted lua-check clang valgrind pandoc"
  # the other Lua hosts the C core builds for (smoke checks), and LDoc with its Markdown
  pkgs="$pkgs lua5.1 liblua5.1-0-dev luajit libluajit-5.1-dev neovim lua-ldoc lua-markdown"
  # the report specs' XML check (lua-expat), the pandoc .docx check (unzip), the browser check (chromium)
  pkgs="$pkgs lua-expat unzip chromium"
fi
[ "$kind" = static ] && pkgs="$pkgs cppcheck clang-tidy"
missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "calcinosis: installing missing packages:$missing" >&2
if [ "$(id -u)" != 0 ]; then
  echo "calcinosis: not root; install them with: sudo apt-get install$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# another install running at the same time (a second checkout's make check) holds the
# dpkg lock: wait for it rather than fail
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null

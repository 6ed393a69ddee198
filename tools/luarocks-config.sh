#!/bin/sh
# Writes a LuaRocks configuration that declares the Debian packages of the
# rockspec's dependencies as provided (`rocks_provided`), so that
# `luarocks make` and `luarocks test` work offline on Debian, where LuaRocks
# cannot see lua-lpeg, lua-dkjson, lua-cjson or lua-busted as rocks.
# The Makefile writes it (make luarocks-config) and spec/check.sh uses it:
#   LUAROCKS_CONFIG=build/luarocks/config.lua luarocks --lua-version=5.4 make ...
#
# LuaRocks 3.8's busted test runner looks busted up in the rock trees only
# (not in rocks_provided), so the file also names a rock tree,
# build/luarocks/tree, into which this script installs Debian's busted as a
# rock (a rockspec of build type "none" whose command is /usr/bin/busted).
#
# Usage: sh tools/luarocks-config.sh OUTDIR [LUA_VERSION...]
#   (default versions: each Lua of 5.1 5.3 5.4 whose interpreter is installed)
set -eu
out=${1:?usage: tools/luarocks-config.sh OUTDIR [LUA_VERSION...]}
shift
mkdir -p "$out"
out=$(cd "$out" && pwd)
versions=${*:-}
if [ -z "$versions" ]; then
  for v in 5.1 5.3 5.4; do command -v "lua$v" >/dev/null 2>&1 && versions="$versions $v"; done
fi

# The rock version of a Debian package: its upstream version without epoch
# or +dfsg suffix, revision 1 ("1.0.2-2" -> "1.0.2-1").
rock_version() {
  v=$(dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | sed -n 's/^install ok installed //p')
  [ -n "$v" ] || return 1
  echo "$v" | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//' -e 's/[+~].*$//' -e 's/$/-1/'
}

provided=""
for pair in lpeg:lua-lpeg dkjson:lua-dkjson lua-cjson:lua-cjson busted:lua-busted luaexpat:lua-expat; do
  rock=${pair%%:*}
  pkg=${pair#*:}
  if ver=$(rock_version "$pkg"); then
    provided="$provided   [\"$rock\"] = \"$ver\", -- Debian $pkg
"
  fi
done

cat >"$out/config.tmp" <<EOF
-- Written by tools/luarocks-config.sh (make luarocks-config); do not edit.
-- The Debian packages that stand for the rockspec's dependencies.
rocks_provided = {
$provided}
rocks_trees = {
   { name = "debian-shims", root = [[$out/tree]] },
   { name = "user", root = home .. [[/.luarocks]] },
   { name = "system", root = [[/usr/local]] },
}
EOF
mv "$out/config.tmp" "$out/config.lua"

# Debian's busted as a rock, for `luarocks test`.
bver=$(rock_version lua-busted) || exit 0
for v in $versions; do
  [ -f "$out/tree/lib/luarocks/rocks-$v/busted/$bver/rock_manifest" ] && continue
  mkdir -p "$out/busted"
  cat >"$out/busted/busted-$bver.rockspec" <<EOF
-- Debian's busted (/usr/bin/busted, lua-busted) registered as a rock.
rockspec_format = "3.0"
package = "busted"
version = "$bver"
source = { url = "file:///usr/bin/busted" }
description = { summary = "Debian's lua-busted, seen by LuaRocks as a rock" }
build = { type = "none", install = { bin = { busted = "/usr/bin/busted" } } }
-- copied as it is (it runs busted under the Lua named by .busted)
deploy = { wrap_bin_scripts = false }
EOF
  (cd "$out/busted" && LUAROCKS_CONFIG="$out/config.lua" luarocks --lua-version="$v" \
    make --deps-mode=none --tree="$out/tree" "busted-$bver.rockspec" >"$out/busted-$v.log" 2>&1) || {
    echo "tools/luarocks-config.sh: could not register Debian's busted for Lua $v (see $out/busted-$v.log)" >&2
    exit 1
  }
done

#!/bin/sh
# `make rock-install`, which `luarocks make` runs (the rockspec's build type
# is "make"): installs into the rock's own folders, which LuaRocks then
# deploys into the tree.
#   - every lua/**/*.lua into INST_LUADIR, the C module of `make rock` into
#     INST_LIBDIR/calcinosis/core.so;
#   - the command as calcinosis-<V> (V: the Lua version of LUA, e.g. 5.4),
#     its first line set to LUA;
#   - the same command as calcinosis, unless the tree already has a
#     calcinosis command of another Lua version: the Lua 5.3 build installed
#     into a tree holding the Lua 5.4 one adds calcinosis-5.3 and leaves
#     calcinosis on Lua 5.4 (LuaRocks keeps one manifest per Lua version in a
#     tree but one bin/ folder);
#   - the man page calcinosis.1 of `make rock`, if built, into INST_DOCDIR.
# Environment (the Makefile passes them): LUA, ROCK_BUILD, INST_LUADIR,
# INST_LIBDIR, INST_BINDIR, INST_DOCDIR, INST_PREFIX.
set -eu
: "${LUA:?}" "${ROCK_BUILD:?}" "${INST_LUADIR:?}" "${INST_LIBDIR:?}" "${INST_BINDIR:?}" "${INST_PREFIX:?}"
V=$("$LUA" -e 'io.write((_VERSION:gsub("^Lua ", "")))')
case $LUA in /*) interp=$LUA ;; *) interp=$(command -v "$LUA") ;; esac

find lua -name '*.lua' | sort | while read -r f; do
  d="$INST_LUADIR/${f#lua/}"
  mkdir -p "$(dirname "$d")"
  cp "$f" "$d"
done
mkdir -p "$INST_LIBDIR/calcinosis"
cp "$ROCK_BUILD/calcinosis/core.so" "$INST_LIBDIR/calcinosis/core.so"

mkdir -p "$INST_BINDIR"
{
  echo "#!$interp"
  echo "-- calcinosis command, installed for Lua $V by luarocks (tools/rock-install.sh)."
  sed 1d bin/calcinosis
} >"$INST_BINDIR/calcinosis-$V"
chmod 755 "$INST_BINDIR/calcinosis-$V"

# The tree: INST_PREFIX is TREE/lib/luarocks/rocks-<V>/calcinosis/<version>.
tree=$(echo "$INST_PREFIX" | sed 's|/*$||; s|/lib/luarocks/rocks[^/]*/calcinosis/[^/]*$||')
current="$tree/bin/calcinosis"
other=""
if [ -f "$current" ]; then
  # a LuaRocks wrapper names the rock folder; a copied script its Lua version
  owner=$(sed -n 's|.*/lib/luarocks/rocks-\([0-9.]*\)/calcinosis/.*|\1|p; s|^-- calcinosis command, installed for Lua \([0-9.]*\) .*|\1|p' "$current" | head -n 1)
  [ -n "$owner" ] && [ "$owner" != "$V" ] && other=$owner
fi
if [ -n "$other" ]; then
  echo "calcinosis: $current stays on Lua $other; this build's command is calcinosis-$V"
else
  cp "$INST_BINDIR/calcinosis-$V" "$INST_BINDIR/calcinosis"
fi

if [ -f "$ROCK_BUILD/calcinosis.1" ] && [ -n "${INST_DOCDIR:-}" ]; then
  mkdir -p "$INST_DOCDIR"
  cp "$ROCK_BUILD/calcinosis.1" "$INST_DOCDIR/calcinosis.1"
fi

/*
 * compat.h - the few Lua C API differences between 5.3 and 5.4 that the
 * binding uses. Only the binding file includes this header.
 */
#ifndef CALCINOSIS_COMPAT_H
#define CALCINOSIS_COMPAT_H

#include "lua.h"
#include "lauxlib.h"

#if LUA_VERSION_NUM < 503
#error "calcinosis needs Lua 5.3 or 5.4"
#endif

#if LUA_VERSION_NUM == 503
/* 5.3 has one user value per userdata and no nuvalue argument. */
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata((L), (sz))
#define lua_setiuservalue(L, idx, n) lua_setuservalue((L), (idx))
#endif

#endif

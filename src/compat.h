/*
 * compat.h - the few Lua C API differences between 5.1 (and LuaJIT 2.1),
 * 5.3 and 5.4 that the binding uses. Only the binding files include this
 * header. The binding is written against the 5.4 API; this header maps
 * what older versions lack onto what they have:
 *   5.3:    one user value per userdata, no nuvalue argument (the binding
 *           uses only the first);
 *   5.1:    also no lua_rawlen, lua_absindex, lua_isinteger, LUA_OK,
 *           luaL_setfuncs, luaL_newlib, luaL_setmetatable, luaL_testudata,
 *           lua_tonumberx, lua_tointegerx (LuaJIT 2.1 has the last six);
 *           a userdata's user value is its environment table (lua_setfenv).
 * In 5.1 every number is a double: lua_isinteger is true for a number with
 * an integral value that a lua_Integer holds.
 */
#ifndef CALCINOSIS_COMPAT_H
#define CALCINOSIS_COMPAT_H

#include "lua.h"
#include "lauxlib.h"

#if LUA_VERSION_NUM < 501 || LUA_VERSION_NUM == 502
#error "calcinosis needs Lua 5.1 (or LuaJIT 2.1), 5.3 or 5.4"
#endif

#if LUA_VERSION_NUM == 503
/* 5.3 has one user value per userdata and no nuvalue argument. */
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata((L), (sz))
#define lua_setiuservalue(L, idx, n) lua_setuservalue((L), (idx))
#define lua_getiuservalue(L, idx, n) lua_getuservalue((L), (idx))
#endif

#if LUA_VERSION_NUM == 501
#include <math.h>

/* The user value (a table) of a 5.1 userdata is its environment. */
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata((L), (sz))
#define lua_setiuservalue(L, idx, n) ((void)lua_setfenv((L), (idx)))
#define lua_getiuservalue(L, idx, n) lua_getfenv((L), (idx))
#define lua_rawlen(L, i) lua_objlen((L), (i))

static inline int lua_absindex(lua_State *L, int i) {
  return (i > 0 || i <= LUA_REGISTRYINDEX) ? i : lua_gettop(L) + i + 1;
}

/* A number whose value is integral and within lua_Integer. */
static inline int calcinosis_integral_(lua_Number n) {
  return n == floor(n) && n >= -9007199254740992.0 && n <= 9007199254740992.0;
}

static inline int lua_isinteger(lua_State *L, int i) {
  return lua_type(L, i) == LUA_TNUMBER && calcinosis_integral_(lua_tonumber(L, i));
}

#ifndef LUA_OK /* Lua 5.1 itself; LuaJIT 2.1 defines LUA_OK and has the rest */
#define LUA_OK 0

static inline lua_Number lua_tonumberx(lua_State *L, int i, int *isnum) {
  lua_Number n = lua_tonumber(L, i);
  if (isnum) *isnum = lua_isnumber(L, i);
  return n;
}

static inline lua_Integer lua_tointegerx(lua_State *L, int i, int *isnum) {
  int ok = lua_isnumber(L, i) && calcinosis_integral_(lua_tonumber(L, i));
  if (isnum) *isnum = ok;
  return ok ? (lua_Integer)lua_tonumber(L, i) : 0;
}

static inline void luaL_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name != NULL; l++) {
    int i;
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}

#define luaL_newlib(L, l) (lua_createtable((L), 0, (int)(sizeof(l) / sizeof((l)[0]) - 1)), luaL_setfuncs((L), (l), 0))

static inline void luaL_setmetatable(lua_State *L, const char *tname) {
  luaL_getmetatable(L, tname);
  lua_setmetatable(L, -2);
}

static inline void *luaL_testudata(lua_State *L, int ud, const char *tname) {
  void *p = lua_touserdata(L, ud);
  if (p != NULL && lua_getmetatable(L, ud)) {
    luaL_getmetatable(L, tname);
    if (!lua_rawequal(L, -1, -2)) p = NULL;
    lua_pop(L, 2);
    return p;
  }
  return NULL;
}
#endif /* !LUA_OK */
#endif /* 501 */

#endif

/*
 * cal.h - what every internal header of the C core shares.
 *
 * CAL_HIDDEN_BEGIN / CAL_HIDDEN_END bracket a header's declarations: they
 * are internal to the module, not exported from the shared library (only
 * luaopen_calcinosis_core is), so calls between the C files are direct.
 */
#ifndef CALCINOSIS_CAL_H
#define CALCINOSIS_CAL_H

#if defined(__GNUC__) && !defined(_WIN32)
#define CAL_HIDDEN_BEGIN _Pragma("GCC visibility push(hidden)")
#define CAL_HIDDEN_END _Pragma("GCC visibility pop")
#else
#define CAL_HIDDEN_BEGIN
#define CAL_HIDDEN_END
#endif

/* printf-style checking of a function's format argument */
#if defined(__GNUC__)
#define CAL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CAL_PRINTF(fmt, args)
#endif

#endif

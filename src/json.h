/*
 * json.h - a small JSON parser for nested documents (FHIR resources): one
 * text parsed into an array of nodes that point into it (strings are not
 * unescaped until asked for), reused from one text to the next.
 *
 * Pure C99, no Lua. RFC 8259 syntax; nesting limited to CAL_JSON_MAX_DEPTH;
 * a syntax error gives its byte offset and what was expected, and an input
 * that ends early says so ("truncated").
 */
#ifndef CALCINOSIS_JSON_H
#define CALCINOSIS_JSON_H

#include <stddef.h>

#include "cal.h"

CAL_HIDDEN_BEGIN

#define CAL_JSON_MAX_DEPTH 64

enum { CAL_J_NULL, CAL_J_FALSE, CAL_J_TRUE, CAL_J_NUMBER, CAL_J_STRING, CAL_J_ARRAY, CAL_J_OBJECT };

typedef struct {
  int type;          /* CAL_J_* */
  int next;          /* the next member or element, -1 at the end */
  int child;         /* an array's or object's first, -1 when empty */
  const char *key;   /* an object member's key (raw, between the quotes) */
  size_t klen;
  const char *s;     /* a string's raw text (between the quotes) or a number's text */
  size_t n;
  int esc;           /* the string (or key) has backslash escapes */
} cal_jnode;

typedef struct {
  cal_jnode *node;   /* node[0] is the root */
  size_t count, cap;
  const char *err;   /* the last error, NULL when none */
  size_t err_at;     /* its byte offset */
  int truncated;     /* the text ended inside the value */
} cal_json;

void cal_json_init(cal_json *d);
void cal_json_free(cal_json *d);

/* Parses text[0, n) (one value, with white space around it). 1, 0 on a
 * syntax error (err, err_at, truncated), -1 when out of memory. */
int cal_json_parse(cal_json *d, const char *text, size_t n);

/* The member of object node `obj` with this key (unescaped keys compared
 * as written; FHIR keys have no escapes), or -1. */
int cal_json_get(const cal_json *d, int obj, const char *key);

/* A string node's text, unescaped, NUL-terminated in out (cap bytes; cut
 * when longer). Returns its length; 0 when the node is not a string. */
size_t cal_json_text(const cal_json *d, int node, char *out, size_t cap);

/* 1 when node is a string equal to s (no escapes). */
int cal_json_is(const cal_json *d, int node, const char *s);

CAL_HIDDEN_END

#endif

/*
 * slots.h - what a VM input slot holds: the one list of slot kinds, shared
 * by the C engine and (exported at luaopen as core.SLOT) the Lua side that
 * builds plans. ORDER SLOT: the enum and the names come from one X-macro.
 *
 * Pure C99, no Lua.
 */
#ifndef CALCINOSIS_SLOTS_H
#define CALCINOSIS_SLOTS_H

/* X(NAME, "lua name"). Record slots first (filled from the patient record),
 * then decision slots (filled from the decision program's run, for the
 * result and confidence programs, see result.h). */
#define CAL_SLOT_KINDS(X)                                                         \
  X(NONE, "none")                  /* always missing */                          \
  X(VALUE, "value")                /* a lab or derived value (analyte), canonical unit */ \
  X(AGE, "age")                    /* age in years */                            \
  X(CKD, "ckd_stage")              /* KDIGO G stage 1..6 */                      \
  X(FEMALE, "female")              /* 1 / 0 / missing */                         \
  X(MALE, "male")                                                                \
  X(FLAG, "flag")                  /* -2 critical low .. 2 critical high (analyte) */ \
  X(HUMAN, "human")                /* 1 / 0 (a record without species is human) */ \
  X(DOG, "dog")                                                                  \
  X(CAT, "cat")                                                                  \
  X(LET, "let")                    /* the value of a decision let (index) */     \
  X(IS_TYPE, "is")                 /* 1 / 0: the type is subtype index (-1: the label) */ \
  X(SCORE, "score")                /* score of subtype index */                  \
  X(BEST, "best")                  /* winning score (0 for the label) */         \
  X(SECOND, "second")              /* best score of the other subtypes */        \
  X(UNEVAL_SHARE, "unevaluable_share") /* share of the winner's rules not evaluable */ \
  X(UNKNOWN_TERMS, "unknown_terms")    /* findings and sites not recognized */  \
  X(ALT_COUNT, "alternative_count")    /* alternatives listed (confidence only) */ \
  X(ALERT_COUNT, "alert_count")        /* alerts listed (confidence only) */

#define CAL_SLOT_ENUM_(name, str) CAL_SLOT_##name,
enum { CAL_SLOT_KINDS(CAL_SLOT_ENUM_) CAL_SLOT_KIND_COUNT_ };
#undef CAL_SLOT_ENUM_

/* Kinds from CAL_SLOT_LET on read the decision, not the record. */
#define CAL_SLOT_IS_DECISION(kind) ((kind) >= CAL_SLOT_LET)

#endif

/*
 * xorshift.h - the C tests' random numbers: a 64-bit xorshift generator
 * with a fixed seed, so that every run checks the same cases. Included
 * by one test file each (static).
 */
#ifndef CALCINOSIS_SPEC_XORSHIFT_H
#define CALCINOSIS_SPEC_XORSHIFT_H

#include <stdint.h>

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#endif

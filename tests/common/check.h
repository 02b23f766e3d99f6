/*
 * The live tests' assertion: CHECK() records a failure with its place and message and goes on,
 * so one run reports every broken expectation; main() returns `fails ? 1 : 0`. SKIP is the exit
 * status meson reads as "skipped".
 */
#pragma once

#include <stdio.h>

#define SKIP 77

static int fails;

#define CHECK(cond, ...)                                                     \
        do {                                                                 \
                if (!(cond)) {                                               \
                        fails++;                                             \
                        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
                        fprintf(stderr, __VA_ARGS__);                        \
                        fputc('\n', stderr);                                 \
                }                                                            \
        } while (0)

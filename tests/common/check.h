/*
 * The live and integration tests' assertions: CHECK() records a failure with its place and
 * message and goes on, so one run reports every broken expectation; check() prints every
 * expectation, "ok: ..." or "FAIL: ...", for tests whose log should show what was checked as
 * well as what broke. main() returns `fails ? 1 : 0`. SKIP is the exit status meson reads as
 * "skipped".
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
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

__attribute__((format(printf, 2, 3), unused)) static void check(bool ok, const char *fmt, ...)
{
        va_list ap;

        printf("%s: ", ok ? "ok" : "FAIL");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        if (!ok)
                fails++;
}

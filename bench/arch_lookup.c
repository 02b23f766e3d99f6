/*
 * Syscall lookup speed: scmpd_syscall_nr() and scmpd_syscall_name() (binary searches over the
 * generated tables) against a baseline measured in the same run, a linear scan of the same
 * table with scmpd_syscall_iter() (what a naive table would do). Prints ns per lookup and the
 * ratio baseline/ours. Not a test: numbers depend on the machine.
 *
 *   arch-lookup [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scmpd/arch.h"

static double now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int linear_nr(const struct scmpd_arch *a, const char *name)
{
        const char *n;
        int nr;

        for (size_t i = 0; scmpd_syscall_iter(a, i, &nr, &n); i++)
                if (strcmp(n, name) == 0)
                        return nr;
        return SCMPD_NR_NONE;
}

static const char *linear_name(const struct scmpd_arch *a, int nr)
{
        const char *n;
        int v;

        for (size_t i = 0; scmpd_syscall_iter(a, i, &v, &n); i++)
                if (v == nr)
                        return n;
        return NULL;
}

int main(int argc, char **argv)
{
        long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 20;
        volatile long sink = 0;
        size_t lookups = 0;
        double t0, ours_nr, base_nr, ours_name, base_name;

        if (rounds <= 0)
                rounds = 20;
        /* name -> number */
        t0 = now_ns();
        for (long r = 0; r < rounds; r++)
                for (size_t a = 0; a < scmpd_arch_count(); a++) {
                        const struct scmpd_arch *arch = scmpd_arch_at(a);
                        const char *name;
                        for (size_t i = 0; scmpd_syscall_iter(arch, i, NULL, &name); i++) {
                                sink += scmpd_syscall_nr(arch, name);
                                lookups++;
                        }
                }
        ours_nr = now_ns() - t0;
        t0 = now_ns();
        for (long r = 0; r < rounds; r++)
                for (size_t a = 0; a < scmpd_arch_count(); a++) {
                        const struct scmpd_arch *arch = scmpd_arch_at(a);
                        const char *name;
                        for (size_t i = 0; scmpd_syscall_iter(arch, i, NULL, &name); i++)
                                sink += linear_nr(arch, name);
                }
        base_nr = now_ns() - t0;
        /* number -> name */
        t0 = now_ns();
        for (long r = 0; r < rounds; r++)
                for (size_t a = 0; a < scmpd_arch_count(); a++) {
                        const struct scmpd_arch *arch = scmpd_arch_at(a);
                        int nr;
                        for (size_t i = 0; scmpd_syscall_iter(arch, i, &nr, NULL); i++)
                                sink += (long)(scmpd_syscall_name(arch, nr) != NULL);
                }
        ours_name = now_ns() - t0;
        t0 = now_ns();
        for (long r = 0; r < rounds; r++)
                for (size_t a = 0; a < scmpd_arch_count(); a++) {
                        const struct scmpd_arch *arch = scmpd_arch_at(a);
                        int nr;
                        for (size_t i = 0; scmpd_syscall_iter(arch, i, &nr, NULL); i++)
                                sink += (long)(linear_name(arch, nr) != NULL);
                }
        base_name = now_ns() - t0;

        printf("lookups per pass: %zu (all entries of all %zu arches, %ld rounds)\n", lookups,
               scmpd_arch_count(), rounds);
        printf("name->nr: %.1f ns (ours), %.1f ns (linear scan), baseline/ours %.1fx\n",
               ours_nr / lookups, base_nr / lookups, base_nr / ours_nr);
        printf("nr->name: %.1f ns (ours), %.1f ns (linear scan), baseline/ours %.1fx\n",
               ours_name / lookups, base_name / lookups, base_name / ours_name);
        return sink == 42 ? 2 : 0;
}

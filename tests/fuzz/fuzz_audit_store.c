/*
 * Fuzz target for the audit store's file (daemon/audit_store.c), which scmpd loads at start from
 * its state directory: input scmpd wrote once, but read back as untrusted. The input is written
 * to a file and loaded. Whatever the input, loading must not crash, and what loaded must survive
 * a round trip: saved, loaded into a second store, it reports exactly the same (containers,
 * syscalls, verdicts, learned argument values). A file that does not load leaves an empty store.
 * Anything else aborts.
 *
 * Built with clang -fsanitize=fuzzer when available; replay.c runs the committed corpus through
 * the same entry point as an ordinary test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../../daemon/audit_store.h"
#include "../../daemon/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz-audit-store-XXXXXX";
static char path[64], bad[80];

static void cleanup(void)
{
        unlink(path);
        unlink(bad);
        rmdir(dir);
}

/* The report with its containers keyed by id: the file lists them most recent first, so their
 * order is not kept (ids are unique, the loader refuses a repeated one). */
static json_t *by_id(json_t *report)
{
        json_t *set = json_object(), *c;
        size_t i;

        if (!set)
                abort();
        json_array_foreach (json_object_get(report, "containers"), i, c)
                if (json_object_set(set, json_string_value(json_object_get(c, "id")), c) < 0)
                        abort();
        if (json_object_set_new(report, "containers", set) < 0)
                abort();
        return report;
}

/* Load the file into a new store, report it, and write the store back to the same file. */
static json_t *load_and_save(void)
{
        struct audit_store *a = audit_store_new(NULL);
        json_t *j;

        if (!a || audit_store_open(a, path) != 0)
                abort();
        j = audit_store_to_json(a, NULL);
        if (!j || audit_store_save(a) != 0)
                abort();
        j = by_id(j);
        audit_store_free(a);
        return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_t *first, *second;
        FILE *f;

        if (!path[0]) {
                if (!mkdtemp(dir))
                        abort();
                snprintf(path, sizeof(path), "%s/audit.json", dir);
                snprintf(bad, sizeof(bad), "%s.bad", path);
                atexit(cleanup);
                log_max_level = LOG_ERR; /* a bad file is reported at warning */
        }
        f = fopen(path, "we");
        if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
                abort();
        first = load_and_save();
        second = load_and_save();
        if (!json_equal(first, second))
                abort();
        json_decref(first);
        json_decref(second);
        unlink(path);
        unlink(bad);
        return 0;
}

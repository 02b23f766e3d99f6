/*
 * Runs a fuzz target's committed corpus as an ordinary test: every file in the directories
 * given on the command line goes through LLVMFuzzerTestOneInput() once. A finding shows up as
 * an abort or a sanitizer report; an empty or unreadable corpus is a failure too, so that the
 * test cannot pass by running nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPLAY_MAX_INPUT (8U * 1024U * 1024U)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "replay: %s: %s\n", name, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return 0;
        }
        if ((uint64_t)st.st_size > REPLAY_MAX_INPUT) {
                fprintf(stderr, "replay: %s: larger than %u bytes\n", name, REPLAY_MAX_INPUT);
                close(fd);
                return -1;
        }
        size_t size = (size_t)st.st_size;
        /* An exactly sized heap copy, so that ASan catches reads past the end. */
        uint8_t *buf = malloc(size ? size : 1);
        if (!buf || (size && read(fd, buf, size) != (ssize_t)size)) {
                fprintf(stderr, "replay: %s: cannot read\n", name);
                free(buf);
                close(fd);
                return -1;
        }
        close(fd);
        LLVMFuzzerTestOneInput(buf, size);
        free(buf);
        return 1;
}

int main(int argc, char **argv)
{
        size_t inputs = 0;

        for (int i = 1; i < argc; i++) {
                DIR *d = opendir(argv[i]);
                struct dirent *de;

                if (!d) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        int r = replay_file(dirfd(d), de->d_name);
                        if (r < 0) {
                                closedir(d);
                                return 1;
                        }
                        inputs += (size_t)r;
                }
                closedir(d);
        }
        printf("replay: %zu inputs, no findings\n", inputs);
        return inputs > 0 ? 0 : 1;
}

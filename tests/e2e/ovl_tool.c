/*
 * A static helper copied into e2e containers' root filesystems (busybox has no setfattr and no
 * threads): the calls overlayfs users make, reported as "NAME rc=ERRNO" lines, with the call made
 * by a thread that is not its group's leader where that matters (Docker's whiteouts come from
 * Go threads).
 *
 *   ovl-tool thread-mknod PATH            mknod(PATH, S_IFCHR|0600, 0:0) from a second thread
 *   ovl-tool setxattr PATH NAME VALUE     setxattr(2), from a second thread
 *   ovl-tool lsetxattr PATH NAME VALUE    lsetxattr(2)
 *   ovl-tool fsetxattr PATH NAME VALUE    fsetxattr(2) on an O_RDONLY fd of PATH
 *   ovl-tool badvalue PATH NAME           setxattr(2) with an unmapped value pointer
 *   ovl-tool fsopen                       fsopen("tmpfs"): the new mount API (ENOSYS wanted)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static char **args;
static int result;

static void *thread_mknod(void *arg)
{
        result = mknod(args[2], S_IFCHR | 0600, makedev(0, 0)) < 0 ? errno : 0;
        return NULL;
}

static void *thread_setxattr(void *arg)
{
        result = setxattr(args[2], args[3], args[4], strlen(args[4]), 0) < 0 ? errno : 0;
        return NULL;
}

static int in_thread(void *(*fn)(void *))
{
        pthread_t th;

        if (pthread_create(&th, NULL, fn, NULL) != 0)
                return -1;
        pthread_join(th, NULL);
        return result;
}

int main(int argc, char **argv)
{
        static volatile unsigned long bad_address = 8;
        int e = -1, fd;

        args = argv;
        if (argc == 3 && strcmp(argv[1], "thread-mknod") == 0)
                e = in_thread(thread_mknod);
        else if (argc == 5 && strcmp(argv[1], "setxattr") == 0)
                e = in_thread(thread_setxattr);
        else if (argc == 5 && strcmp(argv[1], "lsetxattr") == 0)
                e = lsetxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0) < 0 ? errno : 0;
        else if (argc == 5 && strcmp(argv[1], "fsetxattr") == 0) {
                fd = open(argv[2], O_RDONLY | O_CLOEXEC);
                e = fd < 0 || fsetxattr(fd, argv[3], argv[4], strlen(argv[4]), 0) < 0 ? errno : 0;
        } else if (argc == 4 && strcmp(argv[1], "badvalue") == 0)
                e = setxattr(argv[2], argv[3], (const void *)bad_address, 1, 0) < 0 ? errno : 0;
        else if (argc == 2 && strcmp(argv[1], "fsopen") == 0) {
                fd = (int)syscall(SYS_fsopen, "tmpfs", 0);
                e = fd < 0 ? errno : 0;
        } else {
                fprintf(stderr, "usage: see ovl_tool.c\n");
                return 2;
        }
        printf("%s rc=%s\n", argv[1], e ? strerror(e) : "0");
        return e ? 1 : 0;
}

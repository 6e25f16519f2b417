/*
 * The setuid attack tests' helper (tests/Runtime.Tests/Starter/SetuidAttackTests.cs), linked statically so that it
 * also runs inside the busybox images. Each mode prints what it got, one "key=value" line per attempt, so that the
 * test asserts on the concrete outcome (an errno name, the ids reached), never only on an exit status.
 *
 *   suid-probe empty-argv PATH    execve(PATH) with argc 0 and an empty environment
 *   suid-probe ptrace PID         PTRACE_ATTACH, open /proc/PID/mem and read /proc/PID/environ, as the caller
 *   suid-probe ids                the real/effective/saved uid and gid (e.g. when installed setuid in an image)
 *   suid-probe setuid0            try to become root (setuid(0), seteuid(0), setresuid(0,0,0)) and print the ids
 *   suid-probe swap A B SECONDS   exchange the names A and B (renameat2 RENAME_EXCHANGE) as fast as it can
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errno_name(int error)
{
    switch (error) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ESRCH: return "ESRCH";
    case ENOENT: return "ENOENT";
    default: return strerror(error);
    }
}

static void print_ids(const char *label)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    printf("%s=%u,%u,%u:%u,%u,%u\n", label, (unsigned)r, (unsigned)e, (unsigned)s, (unsigned)gr, (unsigned)ge,
           (unsigned)gs);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "empty-argv") == 0) {
        char *none[] = { NULL };
        execve(argv[2], none, none);
        printf("execve=%s\n", errno_name(errno));
        return 1;
    }
    if (argc >= 3 && strcmp(argv[1], "ptrace") == 0) {
        pid_t pid = (pid_t)atoi(argv[2]);
        long attached = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
        printf("ptrace=%s\n", errno_name(attached == 0 ? 0 : errno));
        if (attached == 0) {
            waitpid(pid, NULL, __WALL);
            ptrace(PTRACE_DETACH, pid, NULL, NULL);
        }
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
        int fd = open(path, O_RDWR);
        printf("mem=%s\n", errno_name(fd >= 0 ? 0 : errno));
        snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
        fd = open(path, O_RDONLY);
        char buffer[16];
        ssize_t got = fd < 0 ? -1 : read(fd, buffer, sizeof buffer);
        printf("environ=%s\n", errno_name(got >= 0 ? 0 : errno));
        fflush(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "ids") == 0) {
        print_ids("ids");
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "setuid0") == 0) {
        int a = setuid(0);
        printf("setuid=%s\n", errno_name(a == 0 ? 0 : errno));
        int b = seteuid(0);
        printf("seteuid=%s\n", errno_name(b == 0 ? 0 : errno));
        int c = setresuid(0, 0, 0);
        printf("setresuid=%s\n", errno_name(c == 0 ? 0 : errno));
        print_ids("ids");
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "swap") == 0) {
        time_t until = time(NULL) + atoi(argv[4]);
        unsigned long swaps = 0;
        while (time(NULL) < until) {
            if (syscall(SYS_renameat2, AT_FDCWD, argv[2], AT_FDCWD, argv[3], 2 /* RENAME_EXCHANGE */) < 0) {
                printf("swap=%s\n", errno_name(errno));
                return 1;
            }
            swaps++;
        }
        printf("swaps=%lu\n", swaps);
        return 0;
    }
    fprintf(stderr, "usage: suid-probe empty-argv PATH | ptrace PID | ids | setuid0 | swap A B SECONDS\n");
    return 2;
}

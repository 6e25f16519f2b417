/*
 * Test helper (built by the runtime tests with `gcc -static`, run inside the busybox test images): what MPI's shared
 * memory transports need from two processes, without MPI.
 *   cma-probe hold              print "<pid> <address> <user namespace>" of a buffer that holds "cma-secret-<pid>",
 *                               then wait until stdin closes
 *   cma-probe read PID ADDRESS  read that buffer with process_vm_readv (cross-memory attach) and print it with this
 *                               process's user namespace; exit 1 with the errno text when the kernel refuses
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

static void print_user_namespace(void)
{
    char link[64] = "";
    ssize_t n = readlink("/proc/self/ns/user", link, sizeof link - 1);
    printf(" %s\n", n > 0 ? link : "?");
}

int main(int argc, char **argv)
{
    static char secret[64];
    if (argc == 2 && strcmp(argv[1], "hold") == 0) {
        snprintf(secret, sizeof secret, "cma-secret-%d", (int)getpid());
        /* As Open MPI does: let any process of this uid attach (Yama's ptrace_scope 1 would refuse siblings). */
        (void)prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
        printf("%d %p", (int)getpid(), (void *)secret);
        print_user_namespace();
        fflush(stdout);
        char buffer[64];
        while (read(0, buffer, sizeof buffer) > 0)
            ;
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "read") == 0) {
        char got[64] = "";
        struct iovec local = { got, sizeof got - 1 };
        struct iovec remote = { (void *)strtoull(argv[3], NULL, 16), sizeof got - 1 };
        if (process_vm_readv((pid_t)atoi(argv[2]), &local, 1, &remote, 1, 0) < 0) {
            printf("process_vm_readv: %s", strerror(errno));
            print_user_namespace();
            return 1;
        }
        printf("%s", got);
        print_user_namespace();
        return 0;
    }
    fprintf(stderr, "usage: cma-probe hold | cma-probe read PID ADDRESS\n");
    return 2;
}

/*
 * Privileges, signals, PID 1 and the exec of the payload.
 *
 * Privilege phase 5 ends here: before the payload runs, no_new_privs is set (since USER), every capability is
 * dropped from every set, and every fd but stdio is closed. With a PID namespace, PID 1 (this process) forks the
 * payload and stays as a minimal init: it reaps every zombie, forwards signals to the payload and exits with the
 * payload's status. The outer starter (outside the PID namespace) forwards signals to PID 1 the same way.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "starter.h"
#include "util.h"

#define EXIT_NOT_FOUND 127
#define EXIT_NOT_EXECUTABLE 126
/* Used when the ENV ops carry no PATH: the same default as execvp's. */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* Signals a user or a batch system sends to stop or talk to a job: forwarded to the payload. */
static const int forwarded_signals[] = {
    SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH, SIGCONT, SIGXCPU, SIGXFSZ, SIGVTALRM,
    SIGPROF, SIGPWR, SIGURG,
};

static sigset_t waited_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
        sigaddset(&set, forwarded_signals[i]);
    sigaddset(&set, SIGCHLD);
    return set;
}

/*
 * The caller's signal state survives execve: a blocked mask, and ignored dispositions (the .NET runtime of the
 * front end ignores SIGPIPE). SIGCHLD must be default for waitpid to work; SIGPIPE default for pipelines.
 */
void reset_inherited_signal_state(void)
{
    if (signal(SIGCHLD, SIG_DFL) == SIG_ERR || signal(SIGPIPE, SIG_DFL) == SIG_ERR)
        die_with_errno("cannot reset signal dispositions");
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
        die_with_errno("sigprocmask");
}

void block_forwarded_signals(void)
{
    sigset_t set = waited_signals();
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        die_with_errno("sigprocmask");
}

void set_no_new_privs(void)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die_with_errno("prctl(PR_SET_NO_NEW_PRIVS)");
}

/* Every capability, from every set: bounding (so that no later exec regains any), ambient, then the rest. */
void drop_bounding_and_ambient_sets(void)
{
    for (unsigned long cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            /* EINVAL: past the kernel's last capability; all the real ones are dropped. */
            if (errno == EINVAL)
                break;
            die_with_errno("prctl(PR_CAPBSET_DROP, %lu)", cap);
        }
    }
    /* EINVAL: a kernel before 4.3 has no ambient set, so there is nothing to clear. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        die_with_errno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
}

void drop_all_capabilities(void)
{
    drop_bounding_and_ambient_sets();
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) < 0)
        die_with_errno("capset (dropping every capability)");
}

/* The architectures whose ioctl(2) the terminal filter below knows: the native one and its 32-bit compat ABI. */
#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#define COMPAT_AUDIT_ARCH AUDIT_ARCH_I386
#define COMPAT_NR_IOCTL 54
/* x32 (same audit arch as x86_64, syscall numbers with bit 30 set) has its own ioctl entry, 514. */
#define X32_NR_IOCTL (0x40000000 + 514)
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define COMPAT_AUDIT_ARCH AUDIT_ARCH_ARM
#define COMPAT_NR_IOCTL 54
#define X32_NR_IOCTL __NR_ioctl
#else
#error "the terminal filter knows x86_64 and aarch64 only: add this architecture's ioctl numbers"
#endif
/* The low 32 bits of ioctl's request argument (an int for the kernel: the high half may hold garbage). */
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define REQUEST_LOW_WORD (offsetof(struct seccomp_data, args) + sizeof(__u64))
#else
#define REQUEST_LOW_WORD (offsetof(struct seccomp_data, args) + sizeof(__u64) + sizeof(__u32))
#endif

/*
 * The payload shares the caller's terminal and session (as with Singularity, there is no setsid: job control and
 * Ctrl-C keep working in `singularity shell`). Two ioctls would let it type into that terminal, so that its text
 * runs in the caller's shell after the container exits, outside the container: TIOCSTI (push input bytes) and
 * TIOCLINUX (subcode 2/3: paste the console selection). A seccomp filter makes both fail with EPERM, for the
 * native and the 32-bit ABI; every other syscall and ioctl is unaffected. no_new_privs is already set, which is
 * what lets an unprivileged process install it; it is inherited by everything the payload starts.
 */
void forbid_terminal_injection(void)
{
    struct sock_filter code[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 0, 3),   /* else 5 */
        /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 4, 0),          /* 8 */
        /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_NR_IOCTL, 3, 6),        /* 8, else 11 */
        /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_AUDIT_ARCH, 0, 5),   /* else 11 */
        /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_NR_IOCTL, 0, 3),     /* else 11 */
        /* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, REQUEST_LOW_WORD),
        /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 2, 0),             /* 12 */
        /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 1, 0),          /* 12 */
        /* 11 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* 12 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    };
    struct sock_fprog program = { .len = (unsigned short)(sizeof code / sizeof code[0]), .filter = code };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) < 0)
        die_with_errno("prctl(PR_SET_SECCOMP): cannot forbid TIOCSTI/TIOCLINUX on the terminal");
    debug("TIOCSTI and TIOCLINUX are forbidden (seccomp)");
}

/* Close fds first..last (inclusive); close_range(2) where the kernel has it (5.9), else one by one. */
static void close_fd_range(unsigned first, unsigned last)
{
    if (first > last)
        return;
    if (syscall(SYS_close_range, first, last, 0U) == 0)
        return;
    if (errno != ENOSYS)
        die_with_errno("close_range");
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
        die_with_errno("getrlimit(RLIMIT_NOFILE)");
    rlim_t end = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > (1u << 20) ? (1u << 20) : limit.rlim_max;
    for (rlim_t fd = first; fd <= last && fd < end; fd++)
        (void)close((int)fd); /* EBADF for the fds that are not open: expected */
}

/* Every fd but stdin, stdout, stderr: nothing the caller (or the starter) opened reaches the payload. */
void close_inherited_fds(void)
{
    close_fd_range(3, ~0U);
}

void close_inherited_fds_except(const int *keep, size_t count)
{
    unsigned first = 3;
    /* The kept fds in ascending order (a handful: a selection sort is plenty). */
    int sorted[8];
    if (count > sizeof sorted / sizeof sorted[0])
        die("internal error: too many fds to keep");
    memcpy(sorted, keep, count * sizeof(int));
    for (size_t i = 0; i < count; i++) {
        for (size_t j = i + 1; j < count; j++) {
            if (sorted[j] < sorted[i]) {
                int t = sorted[i];
                sorted[i] = sorted[j];
                sorted[j] = t;
            }
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (sorted[i] < (int)first)
            continue;
        close_fd_range(first, (unsigned)sorted[i] - 1);
        first = (unsigned)sorted[i] + 1;
    }
    close_fd_range(first, ~0U);
}

static int exit_code_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return EXIT_STARTER_ERROR;
}

/*
 * Wait for `child` with the forwarded signals and SIGCHLD blocked (they are read from a signalfd, so no handler
 * runs, and a signal sent before the loop starts is still pending for it): a forwarded signal is sent on to
 * `child`; SIGCHLD reaps. With `reap_all` (PID 1) every exited process is reaped, not only `child`. With a
 * `listener` (the holder of a shared user namespace) its connections are answered in the same loop. Exits with the
 * child's status, 128+N when signal N killed it.
 */
void forward_signals_until_exit(pid_t child, bool reap_all, int listener, int nsfd)
{
    sigset_t set = waited_signals();
    int signals = signalfd(-1, &set, SFD_CLOEXEC);
    if (signals < 0)
        die_with_errno("signalfd");
    struct pollfd watched[2] = { { .fd = signals, .events = POLLIN }, { .fd = listener, .events = POLLIN } };
    nfds_t watched_count = listener >= 0 ? 2 : 1;
    for (;;) {
        if (poll(watched, watched_count, -1) < 0) {
            if (errno == EINTR)
                continue;
            die_with_errno("poll");
        }
        if (watched_count == 2 && (watched[1].revents & POLLIN))
            share_serve_one(listener, nsfd);
        if (!(watched[0].revents & POLLIN))
            continue;
        struct signalfd_siginfo info;
        ssize_t got = read(signals, &info, sizeof info);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die_with_errno("read (signalfd)");
        }
        if (got != (ssize_t)sizeof info)
            die("read (signalfd): %zd bytes", got);
        int signal_number = (int)info.ssi_signo;
        if (signal_number != SIGCHLD) {
            debug("forwarding signal %d to %d", signal_number, (int)child);
            /* ESRCH: the child is already gone; its SIGCHLD is pending and ends the loop. */
            if (kill(child, signal_number) < 0 && errno != ESRCH)
                die_with_errno("kill(%d, %d)", (int)child, signal_number);
            continue;
        }
        for (;;) {
            int status;
            pid_t reaped = waitpid(reap_all ? -1 : child, &status, WNOHANG);
            if (reaped < 0) {
                if (errno == EINTR)
                    continue;
                die_with_errno("waitpid");
            }
            if (reaped == 0)
                break;
            if (reaped == child) {
                debug("process %d exited with status %d", (int)child, exit_code_of(status));
                exit(exit_code_of(status));
            }
        }
    }
}

__attribute__((noreturn, format(printf, 2, 3))) static void exec_failed(int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("FATAL:   ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    _exit(code);
}

/* execve, and for a file the kernel does not know how to run (no #!), /bin/sh as execvp does. */
static void try_exec(const char *path, char **argv, char **envp)
{
    execve(path, argv, envp);
    if (errno != ENOEXEC)
        return;
    size_t argc = 0;
    while (argv[argc] != NULL)
        argc++;
    char **shell_argv = xcalloc(argc + 2, sizeof(char *));
    shell_argv[0] = "sh";
    shell_argv[1] = (char *)path;
    for (size_t i = 1; i < argc; i++)
        shell_argv[i + 1] = argv[i];
    execve("/bin/sh", shell_argv, envp);
    free(shell_argv);
    errno = ENOEXEC;
}

/* Like execvpe, with the PATH of the payload's environment: 127 when not found, 126 when not executable. */
__attribute__((noreturn)) static void exec_payload(char **argv, char **envp)
{
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
        die_with_errno("sigprocmask");
    const char *name = argv[0];
    if (strchr(name, '/') != NULL) {
        try_exec(name, argv, envp);
        exec_failed(errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE, "\"%s\": %s", name,
                    strerror(errno));
    }
    const char *search = DEFAULT_PATH;
    for (char **entry = envp; *entry != NULL; entry++) {
        if (strncmp(*entry, "PATH=", 5) == 0)
            search = *entry + 5;
    }
    int denied = 0;
    const char *start = search;
    for (;;) {
        const char *end = strchrnul(start, ':');
        /* An empty PATH element means the current directory, as for execvp. */
        char *candidate = end == start ? xasprintf("%s", name) : xasprintf("%.*s/%s", (int)(end - start), start, name);
        try_exec(candidate, argv, envp);
        int error = errno;
        free(candidate);
        if (error == EACCES || error == EPERM || error == ENOEXEC || error == EISDIR)
            denied = error;
        else if (error != ENOENT && error != ENOTDIR && error != ENAMETOOLONG && error != ELOOP)
            exec_failed(EXIT_NOT_EXECUTABLE, "\"%s\": %s", name, strerror(error));
        if (*end == '\0')
            break;
        start = end + 1;
    }
    if (denied != 0)
        exec_failed(EXIT_NOT_EXECUTABLE, "\"%s\": %s", name, strerror(denied));
    exec_failed(EXIT_NOT_FOUND, "\"%s\": executable file not found in $PATH", name);
}

void run_payload(char **argv, char **envp, bool pid_namespace)
{
    forbid_terminal_injection();
    if (!pid_namespace) {
        close_inherited_fds();
        debug("exec %s", argv[0]);
        exec_payload(argv, envp);
    }
    /* PID 1: fork the payload, then be its init. The forwarded signals are still blocked (since NAMESPACES). */
    pid_t payload = fork();
    if (payload < 0)
        die_with_errno("fork (the payload)");
    if (payload == 0) {
        close_inherited_fds();
        exec_payload(argv, envp);
    }
    close_inherited_fds();
    debug("PID 1: payload is process %d", (int)payload);
    forward_signals_until_exit(payload, true, -1, -1);
}

/*
 * The runtime's starter: the small, single-threaded C program that creates the namespaces, carries out the front
 * end's resolved operations and execs the payload. The protocol is Runtime/starter/PROTOCOL.md.
 *
 * Shape (after bubblewrap): the whole command line is parsed first into an array of ops (one table maps names to
 * an enum, every op has a fixed arity, anything else exits 255); then setup() walks the array with one switch.
 * The starter never interprets user text beyond that: the front end decided everything.
 *
 * Privilege phases, in order (the setuid build, starter-suid, differs: setuid.c and Runtime/README.md, "Security
 * model of the setuid mode"; its phase 0 is suid_startup, then USER makes no user namespace and the end of setup is
 * suid_drop_to_caller instead of drop_all_capabilities):
 *   1. Start: the caller's credentials, no capabilities. The starter refuses to run setuid or setgid.
 *   2. USER: unshare(CLONE_NEWUSER). The process now holds every capability, but only over the new user
 *      namespace, whose single mapping is the caller's uid and gid (setgroups denied). no_new_privs is set at once,
 *      so nothing exec'd later can gain privilege through setuid bits or file capabilities.
 *      USER_SHARED: the same, except that the user namespace of the other containers of the same parent process is
 *      joined when there is one (share.c); the first one forks a holder that stays outside, with no privilege.
 *      USER_HOST (a root caller only): no user namespace; root keeps the capabilities it has, no more (no exec can
 *      add any: no_new_privs, and the image is nosuid).
 *   3. NAMESPACES: a private mount namespace (and PID / IPC ones when asked). With a PID namespace the process
 *      forks: the parent stays outside, drops its capabilities and only forwards signals and waits; the child is
 *      PID 1 of the new namespace and goes on.
 *   4. ROOT and the mount ops: the capabilities are used for mounts only, inside the private mount namespace.
 *   5. End of setup: pivot_root into the new root, the host's root detached; then every capability is dropped
 *      (bounding, ambient, inheritable, permitted, effective; not with USER_HOST) and every fd but stdio closed
 *      before the exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "setuid.h"
#include "starter.h"
#include "util.h"

#define PROTOCOL_MAGIC "CVMFS-IMAGES-STARTER-1"
/* The alternative transport: the same words, NUL-terminated, read from an fd (PROTOCOL.md, "Transport"). */
#define OPS_FD_FLAG "--ops-fd"
#define OPS_FD_MAX_BYTES (64u * 1024u * 1024u)

typedef enum {
    OP_USER,
    OP_USER_HOST,
    OP_USER_SHARED,
    OP_NAMESPACES,
    OP_ROOT,
    OP_UNDERLAY,
    OP_MKDIR,
    OP_MKFILE,
    OP_BIND,
    OP_BIND_HOME,
    OP_TMPFS,
    OP_PROC,
    OP_BIND_PROC,
    OP_SYS,
    OP_DEV,
    OP_DEV_MINIMAL,
    OP_DEV_MINIMAL_NO_PTS,
    OP_FILE,
    OP_CHDIR,
    OP_ENV,
    OP_DEBUG,
    OP_EXEC,
} OpType;

#define OP_MAX_ARGS 4
/* EXEC's arity is its first argument: `EXEC <argc> <argv0> ... <argvN-1>`. */
#define ARITY_EXEC (-1)

static const struct {
    const char *name;
    OpType type;
    int arity;
} op_table[] = {
    { "USER", OP_USER, 2 },
    { "USER_HOST", OP_USER_HOST, 2 },
    { "USER_SHARED", OP_USER_SHARED, 4 },
    { "NAMESPACES", OP_NAMESPACES, 2 },
    { "ROOT", OP_ROOT, 1 },
    { "UNDERLAY", OP_UNDERLAY, 1 },
    { "MKDIR", OP_MKDIR, 1 },
    { "MKFILE", OP_MKFILE, 1 },
    { "BIND", OP_BIND, 3 },
    { "BIND_HOME", OP_BIND_HOME, 2 },
    { "TMPFS", OP_TMPFS, 2 },
    { "PROC", OP_PROC, 1 },
    { "BIND_PROC", OP_BIND_PROC, 1 },
    { "SYS", OP_SYS, 1 },
    { "DEV", OP_DEV, 1 },
    { "DEV_MINIMAL", OP_DEV_MINIMAL, 1 },
    { "DEV_MINIMAL_NO_PTS", OP_DEV_MINIMAL_NO_PTS, 1 },
    { "FILE", OP_FILE, 2 },
    { "CHDIR", OP_CHDIR, 1 },
    { "ENV", OP_ENV, 1 },
    { "DEBUG", OP_DEBUG, 1 },
    { "EXEC", OP_EXEC, ARITY_EXEC },
};

typedef struct {
    OpType type;
    const char *name;
    const char *arg[OP_MAX_ARGS];
    /* Numeric arguments, checked while parsing. */
    unsigned long long number[OP_MAX_ARGS];
    /* EXEC only: the payload's argv (NULL-terminated). */
    char **exec_argv;
} Op;

typedef struct {
    Op *ops;
    size_t count;
    size_t env_count;
} OpList;

/* A strict unsigned decimal: digits only (no sign, no spaces, no hex), at most `max`. */
static unsigned long long parse_number(const char *op, const char *text, unsigned long long max)
{
    if (text[0] == '\0' || strspn(text, "0123456789") != strlen(text))
        die("%s: \"%s\" is not a decimal number", op, text);
    errno = 0;
    unsigned long long value = strtoull(text, NULL, 10);
    if (errno != 0 || value > max)
        die("%s: %s is out of range (at most %llu)", op, text, max);
    return value;
}

static void check_absolute(const char *op, const char *path)
{
    if (path[0] != '/')
        die("%s: \"%s\" is not an absolute path", op, path);
}

#ifdef STARTER_FUZZ
static int op_arity(OpType type)
{
    for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; i++) {
        if (op_table[i].type == type)
            return op_table[i].arity;
    }
    abort();
}
#endif

static bool is_user_op(OpType type)
{
    return type == OP_USER || type == OP_USER_HOST || type == OP_USER_SHARED;
}

/* Check the form of one op's arguments (numbers, absolute paths, fixed words) and its place in the list. */
static void check_op(Op *op, size_t index, OpList *list)
{
    if ((index == 0) != is_user_op(op->type) || (index == 1) != (op->type == OP_NAMESPACES) ||
        (index == 2) != (op->type == OP_ROOT))
        die("%s at position %zu: the op list must start with USER, NAMESPACES, ROOT (each once; USER_HOST or "
            "USER_SHARED in USER's place)", op->name, index + 1);
    switch (op->type) {
    case OP_USER:
    case OP_USER_HOST:
        op->number[0] = parse_number(op->name, op->arg[0], (unsigned)-2);
        op->number[1] = parse_number(op->name, op->arg[1], (unsigned)-2);
        break;
    case OP_USER_SHARED:
        op->number[0] = parse_number("USER_SHARED", op->arg[0], (unsigned)-2);
        op->number[1] = parse_number("USER_SHARED", op->arg[1], (unsigned)-2);
        /* The key: the parent's pid and its start time (clock ticks since boot), as the front end read them. */
        op->number[2] = parse_number("USER_SHARED", op->arg[2], 1u << 22);
        op->number[3] = parse_number("USER_SHARED", op->arg[3], ~0ull);
        break;
    case OP_NAMESPACES:
        op->number[0] = parse_number("NAMESPACES", op->arg[0], 1);
        op->number[1] = parse_number("NAMESPACES", op->arg[1], 1);
        /* Shared containers must see each other's processes and System V memory (and a holder outside a PID
         * namespace would not be its init). */
        if (list->ops[0].type == OP_USER_SHARED && (op->number[0] == 1 || op->number[1] == 1))
            die("NAMESPACES %s %s: USER_SHARED takes no PID or IPC namespace", op->arg[0], op->arg[1]);
        break;
    case OP_ROOT:
    case OP_UNDERLAY:
    case OP_MKDIR:
    case OP_MKFILE:
    case OP_PROC:
    case OP_BIND_PROC:
    case OP_SYS:
    case OP_DEV:
    case OP_DEV_MINIMAL:
    case OP_DEV_MINIMAL_NO_PTS:
    case OP_CHDIR:
        check_absolute(op->name, op->arg[0]);
        break;
    case OP_BIND:
        check_absolute("BIND", op->arg[0]);
        check_absolute("BIND", op->arg[1]);
        if (strcmp(op->arg[2], "ro") != 0 && strcmp(op->arg[2], "rw") != 0)
            die("BIND %s %s: the mode must be ro or rw, not \"%s\"", op->arg[0], op->arg[1], op->arg[2]);
        break;
    case OP_BIND_HOME:
        check_absolute("BIND_HOME", op->arg[0]);
        check_absolute("BIND_HOME", op->arg[1]);
        break;
    case OP_TMPFS:
        check_absolute("TMPFS", op->arg[0]);
        op->number[1] = parse_number("TMPFS", op->arg[1], ~0ull);
        break;
    case OP_FILE:
        check_absolute("FILE", op->arg[0]);
        break;
    case OP_ENV: {
        const char *equals = strchr(op->arg[0], '=');
        if (equals == NULL || equals == op->arg[0])
            die("ENV: \"%s\" is not KEY=VALUE", op->arg[0]);
        list->env_count++;
        break;
    }
    case OP_DEBUG:
        /* Applied while parsing, so that the setup below is already traced. */
        debug_enabled = parse_number("DEBUG", op->arg[0], 1) == 1;
        break;
    case OP_EXEC:
        break;
    default:
        die("internal error: op %d has no argument check", (int)op->type);
    }
}

/* Parse words[0..count) into ops: names through op_table, fixed arity, arguments checked for form. */
static OpList parse_ops(char **words, size_t count)
{
    OpList list = { xcalloc(count, sizeof(Op)), 0, 0 };
    size_t i = 0;
    while (i < count) {
        const char *name = words[i];
        size_t entry = 0;
        while (entry < sizeof op_table / sizeof op_table[0] && strcmp(op_table[entry].name, name) != 0)
            entry++;
        if (entry == sizeof op_table / sizeof op_table[0])
            die("unknown op \"%s\" (word %zu of the op list)", name, i + 1);
        Op *op = &list.ops[list.count];
        op->type = op_table[entry].type;
        op->name = op_table[entry].name;
        i++;
        if (op_table[entry].arity == ARITY_EXEC) {
            if (i >= count)
                die("EXEC: missing <argc>");
            unsigned long long argc = parse_number("EXEC", words[i], 1u << 20);
            i++;
            if (argc == 0)
                die("EXEC: the payload needs at least argv0");
            if (argc != count - i)
                die("EXEC: <argc> is %llu but %zu words follow it (EXEC must be the last op)", argc, count - i);
            op->exec_argv = xcalloc((size_t)argc + 1, sizeof(char *));
            for (size_t a = 0; a < argc; a++)
                op->exec_argv[a] = words[i + a];
            if (op->exec_argv[0][0] == '\0')
                die("EXEC: argv0 is empty");
            i += (size_t)argc;
        } else {
            size_t arity = (size_t)op_table[entry].arity;
            if (count - i < arity)
                die("%s: needs %zu arguments, got %zu", name, arity, count - i);
            for (size_t a = 0; a < arity; a++)
                op->arg[a] = words[i + a];
            i += arity;
        }
        check_op(op, list.count, &list);
        list.count++;
    }
    if (list.count < 3)
        die("the op list must start with USER, NAMESPACES, ROOT");
    if (list.ops[list.count - 1].type != OP_EXEC)
        die("the op list must end with EXEC");
    return list;
}

/*
 * The alternative transport: `starter CVMFS-IMAGES-STARTER-1 --ops-fd N` reads the op words, each terminated by
 * a NUL byte, from fd N (a memfd or a pipe the front end filled). Unlike argv, an fd is not readable by other
 * users through /proc/<pid>/cmdline, so the payload's environment stays private.
 */
static char **split_op_words(char *buffer, size_t length, size_t *count);

static char **read_ops_fd(const char *fd_text, size_t *count)
{
    int fd = (int)parse_number(OPS_FD_FLAG, fd_text, 1u << 20);
    /* stdin, stdout and stderr belong to the payload: the ops fd is closed after reading. */
    if (fd < 3)
        die("%s %d: the fd must be 3 or above (0-2 are the payload's stdio)", OPS_FD_FLAG, fd);
    size_t capacity = 1u << 16, length = 0;
    char *buffer = xcalloc(capacity, 1);
    for (;;) {
        if (length == capacity) {
            if (capacity >= OPS_FD_MAX_BYTES)
                die("%s %d: more than %u bytes of ops", OPS_FD_FLAG, fd, OPS_FD_MAX_BYTES);
            capacity *= 2;
            buffer = realloc(buffer, capacity);
            if (buffer == NULL)
                die("out of memory");
        }
        ssize_t got = read(fd, buffer + length, capacity - length);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            die_with_errno("%s %d: cannot read the ops", OPS_FD_FLAG, fd);
        }
        if (got == 0)
            break;
        length += (size_t)got;
    }
    if (close(fd) < 0)
        die_with_errno("%s %d: close", OPS_FD_FLAG, fd);
    return split_op_words(buffer, length, count);
}

/* The words of an --ops-fd buffer: each terminated by one NUL byte (the last byte must be one). */
static char **split_op_words(char *buffer, size_t length, size_t *count)
{
    if (length == 0 || buffer[length - 1] != '\0')
        die("%s: the ops must be NUL-terminated words", OPS_FD_FLAG);
    size_t words = 0;
    for (size_t k = 0; k < length; k++)
        words += buffer[k] == '\0';
    char **result = xcalloc(words + 1, sizeof(char *));
    size_t w = 0;
    for (size_t k = 0; k < length; k += strlen(buffer + k) + 1)
        result[w++] = buffer + k;
    *count = words;
    return result;
}

/* Ubuntu 23.10 and later: with this sysctl at 1, a program that no AppArmor profile allows to may create a user
 * namespace but gets no capability in it. The test build reads a file of its own instead (Makefile). */
#ifndef APPARMOR_USERNS_SYSCTL
#define APPARMOR_USERNS_SYSCTL "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"
#endif

static bool apparmor_restricts_user_namespaces(void)
{
    int fd = open(APPARMOR_USERNS_SYSCTL, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false; /* ENOENT: not an AppArmor kernel with the restriction; nothing to explain */
    char value = 0;
    ssize_t got = read(fd, &value, 1);
    (void)close(fd); /* read-only sysctl file: nothing to lose on close */
    return got == 1 && value == '1';
}

/* The user namespace could not be set up: say why, naming AppArmor's restriction and its fix when it is the cause. */
__attribute__((noreturn)) static void user_namespace_failed(const char *what)
{
    int saved = errno;
    if ((saved == EPERM || saved == EACCES) && apparmor_restricts_user_namespaces())
        die("USER: %s: %s. AppArmor restricts unprivileged user namespaces on this host "
            "(kernel.apparmor_restrict_unprivileged_userns = 1) and no AppArmor profile allows them for this "
            "starter. Fix (site admin): install the runtime with deploy/install-worker-node.sh, which installs and "
            "loads the profile /etc/apparmor.d/cvmfs-images-starter, or load it with "
            "apparmor_parser -r /etc/apparmor.d/cvmfs-images-starter",
            what, strerror(saved));
    errno = saved;
    die_with_errno("USER: %s", what);
}

static void write_proc_file(const char *path, const char *content, bool tolerate_missing)
{
#ifdef STARTER_FAKE_APPARMOR_USERNS
    /* Test build: the kernel's answer under AppArmor's restriction (no capability in the new namespace). */
    errno = EPERM;
    user_namespace_failed(xasprintf("cannot write \"%s\" to %s", content, path));
#endif
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        /* /proc/self/setgroups only exists since Linux 3.19, where it is also not needed. */
        if (tolerate_missing && errno == ENOENT)
            return;
        user_namespace_failed(xasprintf("cannot open %s", path));
    }
    if (!write_all(fd, content, strlen(content)))
        user_namespace_failed(xasprintf("cannot write \"%s\" to %s", content, path));
    if (close(fd) < 0)
        die_with_errno("USER: close %s", path);
}

/*
 * Privilege phase 2: the user namespace. The only ids that exist inside are the caller's own (uid->uid,
 * gid->gid); setgroups is denied, as the kernel requires before an unprivileged gid_map and so that no
 * supplementary group can be dropped to bypass a "deny" ACL.
 */
static void check_caller_ids(const char *op, uid_t uid, gid_t gid)
{
    if (uid != getuid() || gid != getgid())
        die("%s %u %u: the caller is uid %u gid %u; the starter maps only the caller's own ids", op, (unsigned)uid,
            (unsigned)gid, (unsigned)getuid(), (unsigned)getgid());
}

static void enter_user_namespace(uid_t uid, gid_t gid)
{
    check_caller_ids("USER", uid, gid);
    if (suid_privileged) {
        /* Setuid mode: no user namespace (the point of the mode); root's reduced privileges do the setup and are
         * dropped to exactly the caller's ids at its end (suid_drop_to_caller). */
        debug("setuid mode: no user namespace; the payload runs as uid %u gid %u", (unsigned)uid, (unsigned)gid);
        return;
    }
    if (unshare(CLONE_NEWUSER) < 0)
        user_namespace_failed("cannot create a user namespace (unshare CLONE_NEWUSER; are user namespaces "
                              "enabled? see user.max_user_namespaces)");
    char map[64];
    write_proc_file("/proc/self/setgroups", "deny", true);
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    write_proc_file("/proc/self/uid_map", map, false);
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    write_proc_file("/proc/self/gid_map", map, false);
    set_no_new_privs();
    debug("entered a user namespace mapping uid %u and gid %u", (unsigned)uid, (unsigned)gid);
}

/*
 * Split into an outer process (the parent: it keeps the pid the caller knows, forwards signals and exits with the
 * child's status) and the inner one that goes on with the setup (the child: returns 0). In the parent this returns
 * the child's pid with *alive_end set: the fd the parent must keep open until it exits. Signals are blocked before
 * the fork so that none is lost before the forwarding loop; the child keeps them blocked (PID 1 forwards them
 * too) and the payload unblocks them before exec.
 */
static pid_t fork_outer(const char *op, int *alive_end)
{
    block_forwarded_signals();
    /* The parent holds the write end of `alive` until it exits: the child sees the pipe hang up if the parent
     * died before PR_SET_PDEATHSIG was in place (getppid() is 0 across a PID namespace and cannot tell). */
    int alive[2];
    if (pipe2(alive, O_CLOEXEC) < 0)
        die_with_errno("%s: pipe", op);
    pid_t child = fork();
    if (child < 0)
        die_with_errno("%s: fork", op);
    if (child > 0) {
        if (close(alive[0]) < 0)
            die_with_errno("%s: close", op);
        *alive_end = alive[1];
        return child;
    }
    /* If the outer starter dies (SIGKILL), so does the inner one (with a PID namespace: PID 1, and with it the
     * whole namespace). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        die_with_errno("%s: prctl(PR_SET_PDEATHSIG)", op);
    if (close(alive[1]) < 0)
        die_with_errno("%s: close", op);
    struct pollfd parent = { .fd = alive[0], .events = POLLIN };
    if (poll(&parent, 1, 0) < 0)
        die_with_errno("%s: poll", op);
    if (parent.revents & POLLHUP)
        die("%s: the outer starter died during setup", op);
    if (close(alive[0]) < 0)
        die_with_errno("%s: close", op);
    return 0;
}

/*
 * USER_SHARED: join the user namespace of the other containers of the same parent process, or create it and fork
 * its holder (share.c). The holder is the outer process: the caller's own credentials in the host's user
 * namespace, no capability; it answers later containers and forwards signals until its child ends.
 */
static void enter_shared_user_namespace(uid_t uid, gid_t gid, unsigned long long key_pid, unsigned long long key_start)
{
    check_caller_ids("USER_SHARED", uid, gid);
    if (suid_privileged) {
        /* Setuid mode: every container is in the host's user namespace already, so they share it as it is. */
        enter_user_namespace(uid, gid);
        return;
    }
    int listener = share_rendezvous(uid, gid, key_pid, key_start);
    if (listener < 0) {
        set_no_new_privs();
        return;
    }
    int channel[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) < 0)
        die_with_errno("USER_SHARED: socketpair");
    int alive = -1;
    pid_t child = fork_outer("USER_SHARED", &alive);
    if (child > 0) {
        if (close(channel[1]) < 0)
            die_with_errno("USER_SHARED: close");
        /* -1: the child failed before it had a namespace (it said why); only its status is left to pass on. */
        int nsfd = share_receive_namespace(channel[0]);
        if (close(channel[0]) < 0)
            die_with_errno("USER_SHARED: close");
        set_no_new_privs();
        if (nsfd < 0) {
            /* Nothing to share: later containers must not wait on this one; they create their own. */
            if (close(listener) < 0)
                die_with_errno("USER_SHARED: close");
            close_inherited_fds_except(&alive, 1);
            forward_signals_until_exit(child, false, -1, -1);
        }
        int keep[] = { alive, listener, nsfd };
        close_inherited_fds_except(keep, 3);
        forward_signals_until_exit(child, false, listener, nsfd);
    }
    if (close(channel[0]) < 0 || close(listener) < 0)
        die_with_errno("USER_SHARED: close");
    enter_user_namespace(uid, gid);
    share_send_namespace(channel[1]);
    if (close(channel[1]) < 0)
        die_with_errno("USER_SHARED: close");
}

/* USER_HOST: a root caller stays in the host's user namespace and keeps the capabilities it has. */
static void stay_in_host_user_namespace(uid_t uid, gid_t gid)
{
    check_caller_ids("USER_HOST", uid, gid);
#ifdef STARTER_SETUID
    die("USER_HOST %u %u: the setuid starter never keeps root's capabilities; a root caller runs the plain starter",
        (unsigned)uid, (unsigned)gid);
#endif
    if (getuid() != 0 || geteuid() != 0)
        die("USER_HOST %u %u: only a root caller may stay in the host's user namespace", (unsigned)uid,
            (unsigned)gid);
    set_no_new_privs();
    debug("root: no user namespace; root keeps its capabilities");
}

/*
 * Privilege phase 3: the other namespaces. With a PID namespace the process forks here. The parent (outside the
 * new PID namespace) drops its capabilities and closes the caller's fds, then only forwards signals to the child
 * and exits with its status; it never returns. The child is PID 1 of the new namespace and continues the setup.
 */
static bool enter_namespaces(bool pid, bool ipc)
{
    int flags = CLONE_NEWNS | (pid ? CLONE_NEWPID : 0) | (ipc ? CLONE_NEWIPC : 0);
    if (unshare(flags) < 0)
        die_with_errno("NAMESPACES %d %d: unshare", pid, ipc);
    mount_make_slave();
    debug("entered a mount namespace%s%s", pid ? ", a PID namespace" : "", ipc ? ", an IPC namespace" : "");
    if (!pid)
        return false;
    int alive = -1;
    pid_t child = fork_outer("NAMESPACES", &alive);
    if (child > 0) {
        /* Outside the PID namespace, only forwarding signals: the caller's plain credentials (setuid mode: root
         * dropped for good, as before the exec). */
        if (suid_privileged)
            suid_drop_to_caller();
        else
            drop_all_capabilities();
        close_inherited_fds_except(&alive, 1);
        forward_signals_until_exit(child, false, -1, -1);
    }
    return true;
}

/* After the final pivot_root, so that the path is resolved in the container (its links stay inside). */
static void change_directory(const char **candidates, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (chdir(candidates[i]) == 0) {
            debug("working directory %s", candidates[i]);
            return;
        }
        /* ENOENT / ENOTDIR / EACCES: not usable here; the next candidate is the front end's fallback. */
        if (i + 1 == count)
            die_with_errno("CHDIR %s%s", candidates[i], count > 1 ? " (the last of the candidates)" : "");
        debug("CHDIR %s: %s; trying %s", candidates[i], strerror(errno), candidates[i + 1]);
    }
}

#if defined(STARTER_SETUID) && !defined(STARTER_FUZZ)
/* The --ops-fd argument, for suid_startup to keep that one fd open; -1 when there is none or it is malformed (then
 * the normal parse below refuses it). */
static int ops_fd_argument(int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[2], OPS_FD_FLAG) != 0 || argv[3][0] == '\0' ||
        strspn(argv[3], "0123456789") != strlen(argv[3]) || strlen(argv[3]) > 7)
        return -1;
    return atoi(argv[3]);
}
#endif

#ifdef STARTER_SETUID

/* Setuid build: the op list against the root-owned config, before anything is set up (see setuid.h). */
static void check_policy(const OpList *list)
{
    for (size_t i = 0; i < list->count; i++) {
        const Op *op = &list->ops[i];
        switch (op->type) {
        case OP_ROOT:
            suid_check_root(&suid_policy, op->arg[0]);
            break;
        case OP_NAMESPACES:
            suid_check_namespaces(&suid_policy, op->number[0] == 1, op->number[1] == 1);
            break;
        case OP_BIND:
        case OP_BIND_HOME:
            suid_check_host_path(op->name, op->arg[0]);
            suid_check_host_path(op->name, op->arg[1]);
            break;
        case OP_UNDERLAY:
        case OP_MKDIR:
        case OP_MKFILE:
        case OP_TMPFS:
        case OP_PROC:
        case OP_BIND_PROC:
        case OP_SYS:
        case OP_DEV:
        case OP_DEV_MINIMAL:
        case OP_DEV_MINIMAL_NO_PTS:
        case OP_FILE:
            /* Container paths too: the front end resolved them; nothing is left for a link or ".." to redirect. */
            suid_check_host_path(op->name, op->arg[0]);
            break;
        case OP_USER:
        case OP_USER_HOST:
        case OP_USER_SHARED:
        case OP_CHDIR:
        case OP_ENV:
        case OP_DEBUG:
        case OP_EXEC:
            break;
        default:
            die("internal error: op %s has no policy check", op->name);
        }
    }
}
#endif

#ifdef STARTER_FUZZ
/*
 * The fuzz target (bench/starter-fuzz.sh, libFuzzer): the op-list reader exactly as the setuid starter runs it on
 * an --ops-fd buffer (split into words, parsed, checked for form, then against a policy), or, when the first byte is
 * odd, the setuid starter's config parser. A refusal is die(), which longjmps back here; what is accepted must hold
 * the reader's guarantees, or the target aborts (a finding).
 */
int starter_fuzz_one(const unsigned char *data, size_t size);
/* Static, so that it is still valid after a longjmp out of the parser. */
static SuidPolicy fuzz_policy;

int starter_fuzz_one(const unsigned char *data, size_t size)
{
    if (size == 0)
        return 0;
    bool config = (data[0] & 1) != 0;
    data++;
    size--;
    static char *const limits[] = { "/cvmfs", "/srv/images" };
    if (setjmp(fuzz_escape) == 0) {
        if (config) {
            suid_policy_defaults(&fuzz_policy);
            const char *error = suid_parse_config((const char *)data, size, &fuzz_policy);
            for (size_t i = 0; error == NULL && i < fuzz_policy.limit_count; i++) {
                if (!suid_is_canonical(fuzz_policy.limit_paths[i]))
                    abort();
            }
        } else {
            char *buffer = xcalloc(size + 1, 1);
            memcpy(buffer, data, size);
            size_t count = 0;
            char **words = split_op_words(buffer, size, &count);
            OpList list = parse_ops(words, count);
            suid_policy_defaults(&suid_policy);
            suid_policy.allow_pid_ns = false;
            suid_policy.limit_count = 2;
            suid_policy.limit_paths[0] = limits[0];
            suid_policy.limit_paths[1] = limits[1];
            check_policy(&list);
            /* Accepted: the shape the setup relies on. */
            if (list.count < 3 || !is_user_op(list.ops[0].type) || list.ops[1].type != OP_NAMESPACES ||
                list.ops[2].type != OP_ROOT || list.ops[list.count - 1].type != OP_EXEC ||
                list.ops[list.count - 1].exec_argv == NULL || list.ops[list.count - 1].exec_argv[0] == NULL ||
                !suid_is_canonical(list.ops[2].arg[0]))
                abort();
            for (size_t i = 0; i < list.count; i++) {
                for (int a = 0; a < OP_MAX_ARGS && list.ops[i].type != OP_EXEC; a++) {
                    if (a < op_arity(list.ops[i].type) && list.ops[i].arg[a] == NULL)
                        abort();
                }
            }
        }
    }
    suid_policy.limit_count = 0;
    suid_policy_free(&fuzz_policy);
    debug_enabled = false;
    fuzz_free_all();
    return 0;
}
#else
int main(int argc, char **argv)
{
#ifdef STARTER_SETUID
    /* Privilege phase 0 (setuid build only): sanitised, root reduced to the setup's capabilities with the caller's
     * fsuid, config checked; or root dropped at once when unprivileged user namespaces work (setuid.c). */
    suid_startup(argc, argv, ops_fd_argument(argc, argv));
#else
    /* Privilege phase 1: the caller's own credentials. This build has no setuid mode (that is starter-suid). */
    if (geteuid() != getuid() || getegid() != getgid())
        die("the starter must not be installed setuid or setgid");
#endif
    reset_inherited_signal_state();
    if (argc < 2 || strcmp(argv[1], PROTOCOL_MAGIC) != 0)
        die("the first argument must be %s (this starter is driven by the singularity front end, see "
            "PROTOCOL.md)", PROTOCOL_MAGIC);

    char **words = argv + 2;
    size_t count = (size_t)argc - 2;
    if (count >= 1 && strcmp(words[0], OPS_FD_FLAG) == 0) {
        if (count != 2)
            die("%s takes exactly one argument (the fd) and nothing after it", OPS_FD_FLAG);
        words = read_ops_fd(words[1], &count);
    }
    OpList list = parse_ops(words, count);
#ifdef STARTER_SETUID
    check_policy(&list);
#endif

    char **envp = xcalloc(list.env_count + 1, sizeof(char *));
    size_t env_used = 0;
    /* CHDIR candidates in order: the first that exists in the new root wins (cwd, then home, then / ...). */
    const char **workdirs = xcalloc(list.count, sizeof(char *));
    size_t workdir_count = 0;
    char **exec_argv = NULL;
    bool pid_namespace = false;
    bool keep_capabilities = false;

    for (size_t i = 0; i < list.count; i++) {
        Op *op = &list.ops[i];
        switch (op->type) {
        case OP_USER:
            enter_user_namespace((uid_t)op->number[0], (gid_t)op->number[1]);
            break;
        case OP_USER_HOST:
            stay_in_host_user_namespace((uid_t)op->number[0], (gid_t)op->number[1]);
            keep_capabilities = true;
            break;
        case OP_USER_SHARED:
            enter_shared_user_namespace((uid_t)op->number[0], (gid_t)op->number[1], op->number[2], op->number[3]);
            break;
        case OP_NAMESPACES:
            pid_namespace = enter_namespaces(op->number[0] == 1, op->number[1] == 1);
            break;
        case OP_ROOT:
            mount_base_and_root(op->arg[0]);
            break;
        case OP_UNDERLAY:
            mount_underlay(op->arg[0]);
            break;
        case OP_MKDIR:
            mount_mkdir(op->arg[0]);
            break;
        case OP_MKFILE:
            mount_mkfile(op->arg[0]);
            break;
        case OP_BIND:
            mount_bind("BIND", op->arg[0], op->arg[1], strcmp(op->arg[2], "ro") == 0);
            break;
        case OP_BIND_HOME:
            mount_bind("BIND_HOME", op->arg[0], op->arg[1], false);
            break;
        case OP_TMPFS:
            mount_tmpfs(op->arg[0], op->number[1]);
            break;
        case OP_PROC:
            if (!pid_namespace)
                die("PROC %s: a new procfs needs the PID namespace (use BIND_PROC without one)", op->arg[0]);
            mount_proc(op->arg[0]);
            break;
        case OP_BIND_PROC:
            mount_bind("BIND_PROC", "/proc", op->arg[0], false);
            break;
        case OP_SYS:
            mount_bind("SYS", "/sys", op->arg[0], true);
            break;
        case OP_DEV:
            mount_bind("DEV", "/dev", op->arg[0], false);
            break;
        case OP_DEV_MINIMAL:
            mount_dev_minimal(op->arg[0], true);
            break;
        case OP_DEV_MINIMAL_NO_PTS:
            mount_dev_minimal(op->arg[0], false);
            break;
        case OP_FILE:
            mount_file(op->arg[0], op->arg[1]);
            break;
        case OP_CHDIR:
            workdirs[workdir_count++] = op->arg[0];
            break;
        case OP_ENV:
            envp[env_used++] = (char *)op->arg[0];
            break;
        case OP_DEBUG:
            /* Already applied by check_op while parsing. */
            break;
        case OP_EXEC:
            exec_argv = op->exec_argv;
            break;
        default:
            die("internal error: op %s has no handler", op->name);
        }
    }

    /* Privilege phase 5: leave the host behind, then give up every capability (root with USER_HOST keeps its own). */
    mount_pivot_into_new_root();
    if (suid_privileged)
        suid_drop_to_caller();
    else if (!keep_capabilities)
        drop_all_capabilities();
    /* After the drop, and with no fd of the setup left (not even through /proc/self/fd): a directory counts as
     * usable only if the payload itself may enter it. */
    close_inherited_fds();
    change_directory(workdirs, workdir_count);
    run_payload(exec_argv, envp, pid_namespace);
}
#endif

/*
 * The setuid mode of the starter (build/starter-suid, compiled with -DSTARTER_SETUID): for nodes without
 * unprivileged user namespaces. Runtime/README.md, "Security model of the setuid mode", walks through it op by op.
 *
 * Everything here is compiled into every build (so that the fuzzer and the unprivileged starter share one op-list
 * reader), but only the setuid build calls suid_startup(); in the others `suid_privileged` stays false.
 */
#ifndef STARTER_SETUID_H
#define STARTER_SETUID_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The compiled-in config path: the only config the setuid starter reads (no environment override). */
#ifndef STARTER_CONFIG_PATH
#define STARTER_CONFIG_PATH "/etc/cvmfs-images/singularity.conf"
#endif

#define SUID_MAX_LIMIT_PATHS 64

/* The keys of singularity.conf that the setuid starter enforces itself. Defaults are Singularity's, except
 * `allow setuid`, which is no when absent (the default install is unprivileged; `install --setuid` writes yes). */
typedef struct {
    bool allow_setuid;
    bool user_bind_control;
    bool allow_pid_ns;
    bool allow_ipc_ns;
    bool allow_unowned_home;
    size_t limit_count;
    char *limit_paths[SUID_MAX_LIMIT_PATHS];
} SuidPolicy;

/* True while the setuid starter holds root's privileges (from suid_startup to suid_drop_to_caller): then every
 * path is resolved with RESOLVE_NO_SYMLINKS too, every bind of a host source is nosuid,nodev, and bind sources are
 * checked to be readable by the caller. False in every other build, and in the setuid build once it found that
 * unprivileged user namespaces work and dropped root for good. */
extern bool suid_privileged;

/* The policy read from STARTER_CONFIG_PATH by suid_startup (defaults in the other builds). */
extern SuidPolicy suid_policy;

/*
 * The first thing main() does in the setuid build: sanitise the process (environment, argv, fds, signals, umask,
 * core dumps, dumpability, capabilities, fsuid), load and check the root-owned config, refuse when
 * `allow setuid = no`, and probe whether unprivileged user namespaces work for the caller; if they do, drop root
 * for good and return with suid_privileged false (the op list then runs exactly as in the unprivileged starter).
 * `ops_fd` is the --ops-fd argument (-1 when none): the one inherited fd above 2 that is kept open.
 */
void suid_startup(int argc, char **argv, int ops_fd);

/* Parse singularity.conf text into `policy` (starting from the defaults). NULL on success, else a message that
 * names the line (static storage, valid until the next call). Pure: the fuzzer calls it. */
const char *suid_parse_config(const char *text, size_t length, SuidPolicy *policy);
void suid_policy_defaults(SuidPolicy *policy);
void suid_policy_free(SuidPolicy *policy);

/* Checks of single ops against the policy, before anything is set up (each dies with one FATAL line). */
void suid_check_root(const SuidPolicy *policy, const char *image);
void suid_check_namespaces(const SuidPolicy *policy, bool pid, bool ipc);
/* A host or container path of an op must be canonical (suid_is_canonical). */
void suid_check_host_path(const char *op, const char *path);
/* Whether `path` is a canonical absolute path (no ".", "..", empty component or trailing slash). */
bool suid_is_canonical(const char *path);
/* Whether `path` is at or beneath `prefix`, compared on whole components (/cvmfs admits /cvmfs/x, not /cvmfs2). */
bool suid_path_is_under(const char *path, const char *prefix);

/* What a checked host path is for: a BIND source (directory or regular file; with `user bind control = no` only
 * paths that root alone controls), the home directory (BIND_HOME: a directory the caller owns, unless
 * `allow unowned home = yes`), or the image (ROOT: a directory). */
typedef enum { SUID_SOURCE_BIND, SUID_SOURCE_HOME, SUID_SOURCE_IMAGE } SuidSource;

/* Checks made while mounting, on the fd `host` resolved to beneath `host_root` (with the caller's fsuid, fsgid and
 * groups); `reopen_path` reaches the same fd through /proc (fd_path). Dies with one FATAL line. */
void suid_check_bind_source(const char *what, int host_root, int fd, const char *reopen_path, const char *host,
                            SuidSource kind);

/* The end of the privileged phase: uid, gid and groups set to the caller's (checked with getresuid/getresgid and
 * getgroups), every capability of every set dropped (checked with capget and PR_CAPBSET_READ), no_new_privs,
 * then the caller's umask, core limit and ignored signals restored. Never returns on a failed check. */
void suid_drop_to_caller(void);

#endif

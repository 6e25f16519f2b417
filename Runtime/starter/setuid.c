/*
 * The setuid mode (see setuid.h; the security model is in Runtime/README.md, "Security model of the setuid mode").
 *
 * After bubblewrap's setuid design: root is needed only to create the mount (and PID, IPC) namespaces and to
 * mount, and it is held in the narrowest form that allows that:
 *   - from the first statement: the environment is gone, argc == 0 refused, fds above 2 closed (but the op-list
 *     fd), signals at their defaults and unblocked, umask 022, no core dumps, not dumpable (no ptrace, no
 *     /proc/<pid>/mem), no_new_privs;
 *   - the bounding set is emptied and only CAP_SYS_ADMIN, CAP_SETUID and CAP_SETGID stay permitted and
 *     effective; the fsuid and fsgid are the caller's and the supplementary groups are the caller's own, so every
 *     file the setup opens, creates or resolves is checked with the caller's own permissions (root's DAC override
 *     is gone with the fsuid: the kernel drops the file capabilities from the effective set with it);
 *   - before anything the user controls runs, uid, gid and groups become the caller's, every capability is gone,
 *     and both are checked (getresuid, getresgid, getgroups, capget, PR_CAPBSET_READ).
 * Only the compiled-in config is read, walked from "/" one component at a time without following links, every
 * directory root-owned and not writable by group or others, the file too.
 */
#define _GNU_SOURCE
#include "setuid.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "starter.h"
#include "util.h"

extern char **environ;

bool suid_privileged = false;
SuidPolicy suid_policy = {
    .allow_setuid = false,
    .user_bind_control = true,
    .allow_pid_ns = true,
    .allow_ipc_ns = true,
    .allow_unowned_home = false,
    .limit_count = 0,
};

/* The caller, as the kernel gave it to us at execve (real ids; groups are not changed by a setuid exec). */
static uid_t caller_uid;
static gid_t caller_gid;
static gid_t *caller_groups;
static int caller_group_count;
/* Restored for the payload once root is gone. */
static mode_t caller_umask;
static struct rlimit caller_core_limit;
static sigset_t caller_ignored_signals;

#define CONFIG_MAX_BYTES (1u << 20)
/* What the setup needs: mount, unshare, pivot_root, mount_setattr (SYS_ADMIN); the final setres*id and setgroups. */
#define SETUP_CAPABILITIES ((1u << CAP_SYS_ADMIN) | (1u << CAP_SETUID) | (1u << CAP_SETGID))

/* ---------------------------------------------------------------------------------------------------------------
 * Config: the few keys the starter enforces itself. Same syntax as the front end's parser (Config/ConfigParser.cs):
 * `key = value`, `#` comments, keys with runs of blanks collapsed; a line that is not `key = value` is an error.
 */

void suid_policy_defaults(SuidPolicy *policy)
{
    memset(policy, 0, sizeof *policy);
    policy->user_bind_control = true;
    policy->allow_pid_ns = true;
    policy->allow_ipc_ns = true;
}

static void clear_limit_paths(SuidPolicy *policy)
{
    for (size_t i = 0; i < policy->limit_count; i++)
        free(policy->limit_paths[i]);
    policy->limit_count = 0;
}

void suid_policy_free(SuidPolicy *policy)
{
    clear_limit_paths(policy);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

bool suid_is_canonical(const char *path)
{
    if (path[0] != '/')
        return false;
    if (path[1] == '\0')
        return true;
    for (const char *c = path; *c != '\0';) {
        /* c points at a '/': the component is what follows, up to the next '/' or the end. */
        const char *start = c + 1;
        size_t length = strcspn(start, "/");
        if (length == 0 || (length == 1 && start[0] == '.') || (length == 2 && start[0] == '.' && start[1] == '.'))
            return false;
        c = start + length;
    }
    return true;
}

bool suid_path_is_under(const char *path, const char *prefix)
{
    if (strcmp(prefix, "/") == 0)
        return path[0] == '/';
    size_t length = strlen(prefix);
    return strncmp(path, prefix, length) == 0 && (path[length] == '\0' || path[length] == '/');
}

static char config_error[512];

__attribute__((format(printf, 1, 2))) static const char *config_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(config_error, sizeof config_error, format, args);
    va_end(args);
    return config_error;
}

static const char *parse_yes_no(const char *key, const char *value, size_t line, bool *out)
{
    if (strcasecmp(value, "yes") == 0)
        *out = true;
    else if (strcasecmp(value, "no") == 0)
        *out = false;
    else
        return config_fail("line %zu: '%s' must be yes or no, not '%.64s'", line, key, value);
    return NULL;
}

static const char *parse_limit_paths(char *value, size_t line, SuidPolicy *policy)
{
    /* As the front end: a later line replaces an earlier one; NULL entries (Singularity's "none") are skipped. */
    clear_limit_paths(policy);
    for (char *item = strtok(value, ","); item != NULL; item = strtok(NULL, ",")) {
        while (is_blank(*item))
            item++;
        size_t length = strlen(item);
        while (length > 0 && is_blank(item[length - 1]))
            item[--length] = '\0';
        while (length > 1 && item[length - 1] == '/')
            item[--length] = '\0';
        if (length == 0 || strcmp(item, "NULL") == 0)
            continue;
        if (!suid_is_canonical(item))
            return config_fail("line %zu: 'limit container paths' entry '%.256s' is not a canonical absolute path", line,
                               item);
        if (policy->limit_count == SUID_MAX_LIMIT_PATHS)
            return config_fail("line %zu: more than %d 'limit container paths' entries", line, SUID_MAX_LIMIT_PATHS);
        /* strdup, not xstrdup: the parser owns (and frees) what it allocates, also in the fuzz build. */
        char *copy = strdup(item);
        if (copy == NULL)
            return config_fail("out of memory");
        policy->limit_paths[policy->limit_count++] = copy;
    }
    return NULL;
}

static const char *apply_key(const char *key, char *value, size_t line, SuidPolicy *policy)
{
    if (strcmp(key, "allow setuid") == 0)
        return parse_yes_no(key, value, line, &policy->allow_setuid);
    if (strcmp(key, "user bind control") == 0)
        return parse_yes_no(key, value, line, &policy->user_bind_control);
    if (strcmp(key, "allow pid ns") == 0)
        return parse_yes_no(key, value, line, &policy->allow_pid_ns);
    if (strcmp(key, "allow ipc ns") == 0)
        return parse_yes_no(key, value, line, &policy->allow_ipc_ns);
    if (strcmp(key, "allow unowned home") == 0)
        return parse_yes_no(key, value, line, &policy->allow_unowned_home);
    if (strcmp(key, "limit container paths") == 0)
        return parse_limit_paths(value, line, policy);
    /* Every other key is the front end's business (it validates the whole file). */
    return NULL;
}

const char *suid_parse_config(const char *text, size_t length, SuidPolicy *policy)
{
    size_t position = 0, line = 0;
    while (position < length) {
        const char *start = text + position;
        const char *newline = memchr(start, '\n', length - position);
        size_t line_length = newline == NULL ? length - position : (size_t)(newline - start);
        position += line_length + (newline != NULL);
        line++;
        if (memchr(start, '\0', line_length) != NULL)
            return config_fail("line %zu contains a NUL byte", line);
        char *copy = calloc(line_length + 1, 1);
        if (copy == NULL)
            return config_fail("out of memory");
        memcpy(copy, start, line_length);
        char *content = copy;
        while (is_blank(*content))
            content++;
        size_t content_length = strlen(content);
        while (content_length > 0 && is_blank(content[content_length - 1]))
            content[--content_length] = '\0';
        if (content_length == 0 || content[0] == '#') {
            free(copy);
            continue;
        }
        char *equals = strchr(content, '=');
        if (equals == NULL || equals == content) {
            free(copy);
            return config_fail("line %zu: expected 'key = value'", line);
        }
        *equals = '\0';
        /* The key with every run of blanks collapsed into one space, as the front end reads it. */
        char key[128];
        size_t key_length = 0;
        bool pending_space = false;
        for (const char *c = content; *c != '\0'; c++) {
            if (is_blank(*c)) {
                pending_space = key_length > 0;
                continue;
            }
            if (key_length + 2 >= sizeof key) {
                key_length = 0;
                break; /* longer than any key the starter knows: someone else's */
            }
            if (pending_space)
                key[key_length++] = ' ';
            pending_space = false;
            key[key_length++] = *c;
        }
        key[key_length] = '\0';
        char *value = equals + 1;
        while (is_blank(*value))
            value++;
        const char *error = apply_key(key, value, line, policy);
        free(copy);
        if (error != NULL)
            return error;
    }
    return NULL;
}

/* Trusted: a root-owned directory that group and others cannot write, or a root-owned sticky one (such as /tmp:
 * nobody else can rename or remove the root-owned entry beneath it, which is all the walk relies on). */
static const char *untrusted_directory(const struct stat *info)
{
    if (!S_ISDIR(info->st_mode))
        return "is not a directory";
    if (info->st_uid != 0)
        return "is not owned by root";
    if ((info->st_mode & (S_IWGRP | S_IWOTH)) != 0 && (info->st_mode & S_ISVTX) == 0)
        return "is writable by group or others";
    return NULL;
}

/* Open the compiled-in config, walking it from "/" one component at a time without following links. */
static int open_config(const char *path)
{
    if (!suid_is_canonical(path) || strcmp(path, "/") == 0)
        die("config %s: the compiled-in path must be canonical and absolute", path);
    int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        die_with_errno("config %s: open /", path);
    char *walked = xcalloc(strlen(path) + 1, 1);
    const char *cursor = path;
    for (;;) {
        struct stat info;
        if (fstat(dir, &info) < 0)
            die_with_errno("config %s: stat %s", path, walked[0] ? walked : "/");
        const char *why = untrusted_directory(&info);
        if (why != NULL)
            die("config %s: directory %s %s; the setuid starter trusts only a config that root alone could have "
                "written", path, walked[0] ? walked : "/", why);
        cursor++; /* past '/' */
        size_t length = strcspn(cursor, "/");
        char name[NAME_MAX + 1];
        if (length > NAME_MAX)
            die("config %s: a component is longer than %d bytes", path, NAME_MAX);
        memcpy(name, cursor, length);
        name[length] = '\0';
        strncat(walked, cursor - 1, length + 1);
        bool last = cursor[length] == '\0';
        struct stat entry;
        if (fstatat(dir, name, &entry, AT_SYMLINK_NOFOLLOW) < 0)
            die_with_errno("config %s: %s", path, walked);
        if (S_ISLNK(entry.st_mode))
            die("config %s: %s is a symbolic link; the setuid starter follows none on the way to its config", path,
                walked);
        int next = openat(dir, name, (last ? O_RDONLY | O_NONBLOCK | O_NOCTTY : O_PATH | O_DIRECTORY) | O_NOFOLLOW |
                                         O_CLOEXEC);
        if (next < 0)
            die_with_errno("config %s: open %s", path, walked);
        if (close(dir) < 0)
            die_with_errno("config %s: close", path);
        dir = next;
        if (last)
            break;
        cursor += length;
    }
    struct stat info;
    if (fstat(dir, &info) < 0)
        die_with_errno("config %s: stat", path);
    if (!S_ISREG(info.st_mode))
        die("config %s: not a regular file", path);
    if (info.st_uid != 0)
        die("config %s: not owned by root (uid %u); the setuid starter trusts only a root-owned config", path,
            (unsigned)info.st_uid);
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        die("config %s: writable by group or others; the setuid starter trusts only a config root alone can write",
            path);
    free(walked);
    return dir;
}

static void load_config(void)
{
    int fd = open_config(STARTER_CONFIG_PATH);
    char *text = xcalloc(CONFIG_MAX_BYTES + 1, 1);
    size_t length = 0;
    for (;;) {
        ssize_t got = read(fd, text + length, CONFIG_MAX_BYTES + 1 - length);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            die_with_errno("config %s: read", STARTER_CONFIG_PATH);
        if (got == 0)
            break;
        length += (size_t)got;
        if (length > CONFIG_MAX_BYTES)
            die("config %s: larger than %u bytes", STARTER_CONFIG_PATH, CONFIG_MAX_BYTES);
    }
    if (close(fd) < 0)
        die_with_errno("config %s: close", STARTER_CONFIG_PATH);
    suid_policy_defaults(&suid_policy);
    const char *error = suid_parse_config(text, length, &suid_policy);
    if (error != NULL)
        die("config %s: %s", STARTER_CONFIG_PATH, error);
    free(text);
}

/* ---------------------------------------------------------------------------------------------------------------
 * Checks of the op list against the policy (before anything is set up) and of bind sources (while mounting).
 */

void suid_check_host_path(const char *op, const char *path)
{
    if (!suid_is_canonical(path))
        die("%s %s: the setuid starter takes paths only in canonical form (absolute; no '.', '..', '//' or "
            "trailing '/')", op, path);
}

void suid_check_root(const SuidPolicy *policy, const char *image)
{
    suid_check_host_path("ROOT", image);
    if (policy->limit_count == 0)
        return;
    for (size_t i = 0; i < policy->limit_count; i++) {
        if (suid_path_is_under(image, policy->limit_paths[i]))
            return;
    }
    die("ROOT %s: the image is not under 'limit container paths' in %s (compared on whole path components)", image,
        STARTER_CONFIG_PATH);
}

void suid_check_namespaces(const SuidPolicy *policy, bool pid, bool ipc)
{
    if (pid && !policy->allow_pid_ns)
        die("NAMESPACES %d %d: a PID namespace, but 'allow pid ns = no' in %s", pid, ipc, STARTER_CONFIG_PATH);
    if (ipc && !policy->allow_ipc_ns)
        die("NAMESPACES %d %d: an IPC namespace, but 'allow ipc ns = no' in %s", pid, ipc, STARTER_CONFIG_PATH);
}

/* With `user bind control = no`: is `host` (canonical, the object `fd` refers to) a path only root controls? Every
 * directory from "/" down root-owned and not writable by group or others, the source root-owned; /tmp and /var/tmp
 * themselves (root-owned sticky directories, the `mount tmp` binds) are allowed. */
static bool root_controls(int host_root, int fd, const char *host)
{
    bool shared_tmp = strcmp(host, "/tmp") == 0 || strcmp(host, "/var/tmp") == 0;
    int dir = fcntl(host_root, F_DUPFD_CLOEXEC, 3);
    if (dir < 0)
        die_with_errno("dup");
    const char *cursor = host;
    bool trusted = true;
    while (trusted && *cursor == '/' && cursor[1] != '\0') {
        struct stat info;
        if (fstat(dir, &info) < 0)
            die_with_errno("stat");
        trusted = info.st_uid == 0 && (info.st_mode & (S_IWGRP | S_IWOTH)) == 0;
        cursor++;
        size_t length = strcspn(cursor, "/");
        char name[NAME_MAX + 1];
        if (length > NAME_MAX)
            break;
        memcpy(name, cursor, length);
        name[length] = '\0';
        int next = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            trusted = false;
            break;
        }
        if (close(dir) < 0)
            die_with_errno("close");
        dir = next;
        cursor += length;
    }
    struct stat walked, source;
    if (fstat(dir, &walked) < 0 || fstat(fd, &source) < 0)
        die_with_errno("stat");
    if (close(dir) < 0)
        die_with_errno("close");
    bool same = walked.st_dev == source.st_dev && walked.st_ino == source.st_ino;
    bool source_trusted = source.st_uid == 0 && ((source.st_mode & (S_IWGRP | S_IWOTH)) == 0 ||
                                                 (shared_tmp && (source.st_mode & S_ISVTX) != 0));
    return trusted && same && source_trusted;
}

void suid_check_bind_source(const char *what, int host_root, int fd, const char *reopen_path, const char *host,
                            SuidSource kind)
{
    struct stat info;
    if (fstat(fd, &info) < 0)
        die_with_errno("%s: stat", what);
    if (!S_ISDIR(info.st_mode) && !(S_ISREG(info.st_mode) && kind == SUID_SOURCE_BIND))
        die("%s: %s is not a %s; the setuid starter binds only directories and regular files", what, host,
            kind == SUID_SOURCE_BIND ? "directory or a regular file" : "directory");
    /* Readable by the caller: reopened for reading through the resolved fd, with the caller's fsuid, fsgid and
     * groups (the same object: no second lookup of the path). O_NONBLOCK: never wait on anything. */
    int readable = open(reopen_path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (S_ISDIR(info.st_mode) ? O_DIRECTORY : 0));
    if (readable < 0)
        die_with_errno("%s: %s is not readable by the calling user (uid %u)", what, host, (unsigned)caller_uid);
    struct stat reopened;
    if (fstat(readable, &reopened) < 0)
        die_with_errno("%s: stat", what);
    if (close(readable) < 0)
        die_with_errno("%s: close", what);
    if (reopened.st_dev != info.st_dev || reopened.st_ino != info.st_ino)
        die("%s: %s changed while it was checked", what, host);
    if (kind == SUID_SOURCE_HOME && info.st_uid != caller_uid && caller_uid != 0 && !suid_policy.allow_unowned_home)
        die("%s: home directory %s is not owned by the calling user (it is owned by uid %u; 'allow unowned home = no' "
            "in %s)", what, host, (unsigned)info.st_uid, STARTER_CONFIG_PATH);
    if (kind == SUID_SOURCE_BIND && !suid_policy.user_bind_control && !root_controls(host_root, fd, host))
        die("%s: 'user bind control = no' in %s, and %s is not a path that only root controls (the setuid starter "
            "then binds only those, /tmp, /var/tmp and the caller's home)", what, STARTER_CONFIG_PATH, host);
}

/* ---------------------------------------------------------------------------------------------------------------
 * Credentials.
 */

static void set_capabilities(unsigned bits)
{
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof data);
    data[0].effective = bits;
    data[0].permitted = bits;
    if (syscall(SYS_capset, &header, data) < 0)
        die_with_errno("capset");
}

static void check_no_capabilities(void)
{
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, data) < 0)
        die_with_errno("capget");
    for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
        if (data[i].effective != 0 || data[i].permitted != 0 || data[i].inheritable != 0)
            die("a capability is still held after the drop (set %zu: eff %#x prm %#x inh %#x)", i, data[i].effective,
                data[i].permitted, data[i].inheritable);
    }
    for (unsigned long cap = 0; cap <= 63; cap++) {
        int in_bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in_bounding < 0 && errno == EINVAL)
            break;
        if (in_bounding != 0)
            die("capability %lu is still in the bounding set after the drop", cap);
        int ambient = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
        if (ambient > 0)
            die("capability %lu is still in the ambient set after the drop", cap);
    }
}

/* setgroups, setresgid, setresuid to the caller's; false (errno set) on a failure, for the probe's child. */
static bool become_caller(void)
{
    return setgroups((size_t)caller_group_count, caller_groups) == 0 &&
           setresgid(caller_gid, caller_gid, caller_gid) == 0 && setresuid(caller_uid, caller_uid, caller_uid) == 0;
}

void suid_drop_to_caller(void)
{
    if (!become_caller())
        die_with_errno("cannot set uid, gid and groups to the caller's (%u, %u)", (unsigned)caller_uid,
                       (unsigned)caller_gid);
    /* Every set empty, also for a root caller (whose uid 0 would otherwise keep them): bounding and ambient were
     * emptied at start, so capset to nothing leaves nothing. */
    set_capabilities(0);
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
        die_with_errno("getresuid");
    if (ruid != caller_uid || euid != caller_uid || suid != caller_uid || rgid != caller_gid ||
        egid != caller_gid || sgid != caller_gid || (uid_t)setfsuid((uid_t)-1) != caller_uid ||
        (gid_t)setfsgid((gid_t)-1) != caller_gid)
        die("the drop to the caller's ids did not take (uid %u/%u/%u gid %u/%u/%u, caller %u:%u)", (unsigned)ruid,
            (unsigned)euid, (unsigned)suid, (unsigned)rgid, (unsigned)egid, (unsigned)sgid, (unsigned)caller_uid,
            (unsigned)caller_gid);
    int count = getgroups(0, NULL);
    gid_t *groups = xcalloc((size_t)(count < 0 ? 0 : count), sizeof(gid_t));
    if (count < 0 || getgroups(count, groups) != count || count != caller_group_count ||
        (count > 0 && memcmp(groups, caller_groups, (size_t)count * sizeof(gid_t)) != 0))
        die("the supplementary groups are not the caller's after the drop");
    free(groups);
    check_no_capabilities();
    set_no_new_privs();
    suid_privileged = false;
    /* What the caller had, for the payload. */
    umask(caller_umask);
    if (setrlimit(RLIMIT_CORE, &caller_core_limit) < 0)
        die_with_errno("setrlimit(RLIMIT_CORE)");
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        if (signal_number != SIGCHLD && signal_number != SIGPIPE && sigismember(&caller_ignored_signals, signal_number) == 1)
            (void)signal(signal_number, SIG_IGN); /* glibc's own real-time signals refuse: none is ever recorded */
    }
    debug("setuid mode: root dropped; uid %u gid %u, %d groups, no capability", (unsigned)caller_uid,
          (unsigned)caller_gid, count);
}

/* Whether the caller could have made the user namespace itself: a child drops to the caller for good and tries
 * what USER does (unshare, setgroups deny, one-id maps). The test build STARTER_FAKE_NO_USERNS answers no, as a
 * kernel with user.max_user_namespaces = 0 does. */
static bool unprivileged_user_namespaces_work(void)
{
#ifdef STARTER_FAKE_NO_USERNS
    return false;
#else
    pid_t child = fork();
    if (child < 0)
        die_with_errno("fork (probing user namespaces)");
    if (child == 0) {
        if (!become_caller())
            _exit(2);
        /* Dumpable again (nothing privileged is left in this process), so that /proc/self/uid_map is the caller's. */
        if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 || unshare(CLONE_NEWUSER) < 0)
            _exit(1);
        char map[64];
        int fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
        if (fd >= 0 && (!write_all(fd, "deny", 4) || close(fd) < 0))
            _exit(1);
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)caller_uid, (unsigned)caller_uid);
        fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || !write_all(fd, map, strlen(map)) || close(fd) < 0)
            _exit(1);
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)caller_gid, (unsigned)caller_gid);
        fd = open("/proc/self/gid_map", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || !write_all(fd, map, strlen(map)) || close(fd) < 0)
            _exit(1);
        _exit(0);
    }
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR)
            die_with_errno("waitpid (probing user namespaces)");
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
#endif
}

/* fds 0, 1 and 2 open (on /dev/null when the caller closed them), so that nothing the starter opens lands there. */
static void ensure_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int opened = open("/dev/null", O_RDWR | O_NOCTTY);
        if (opened != fd)
            _exit(EXIT_STARTER_ERROR); /* stderr may be what is missing: nowhere to say it */
    }
}

static void reset_signals(void)
{
    sigemptyset(&caller_ignored_signals);
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        if (signal_number == SIGKILL || signal_number == SIGSTOP)
            continue;
        struct sigaction old;
        if (sigaction(signal_number, NULL, &old) < 0)
            continue; /* EINVAL: glibc's own real-time signals */
        if (old.sa_handler == SIG_IGN)
            sigaddset(&caller_ignored_signals, signal_number);
        (void)signal(signal_number, SIG_DFL);
    }
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
        die_with_errno("sigprocmask");
}

void suid_startup(int argc, char **argv, int ops_fd)
{
    /* The first statement: nothing below (or in libc) sees the caller's environment. The binary is static (no
     * dynamic loader ran, so no LD_* was ever read), and glibc's own start-up ran in secure mode (AT_SECURE). */
    static char *empty_environment[] = { NULL };
    environ = empty_environment;
    ensure_standard_fds();
    /* Not dumpable: no ptrace, no /proc/<pid>/mem, environ, fd of this process for the caller (the kernel already
     * made a setuid exec non-dumpable; this does not depend on fs.suid_dumpable). No core dump either. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die_with_errno("prctl(PR_SET_DUMPABLE, 0)");
    if (argc < 1 || argv[0] == NULL || argv[0][0] == '\0')
        die("refusing to run with an empty argv (argc 0 or an empty argv[0])");
    if (getrlimit(RLIMIT_CORE, &caller_core_limit) < 0)
        die_with_errno("getrlimit(RLIMIT_CORE)");
    struct rlimit none = { 0, 0 };
    none.rlim_max = caller_core_limit.rlim_max;
    if (setrlimit(RLIMIT_CORE, &none) < 0)
        die_with_errno("setrlimit(RLIMIT_CORE)");
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) < 0)
        die_with_errno("getrlimit(RLIMIT_NOFILE)");
    if (files.rlim_cur < 64)
        die("RLIMIT_NOFILE is %llu; the starter needs at least 64 fds", (unsigned long long)files.rlim_cur);
    caller_umask = umask(022);
    reset_signals();
    close_inherited_fds_except(&ops_fd, ops_fd > 2 ? 1 : 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die_with_errno("prctl(PR_SET_NO_NEW_PRIVS)");

    caller_uid = getuid();
    caller_gid = getgid();
    caller_group_count = getgroups(0, NULL);
    if (caller_group_count < 0)
        die_with_errno("getgroups");
    caller_groups = xcalloc((size_t)caller_group_count, sizeof(gid_t));
    if (getgroups(caller_group_count, caller_groups) != caller_group_count)
        die_with_errno("getgroups");
    if (geteuid() != 0)
        die("the setuid starter must be owned by root and installed setuid (euid is %u)", (unsigned)geteuid());

    /* Root, reduced to what the setup needs, before anything else is read. */
    drop_bounding_and_ambient_sets();
    set_capabilities(SETUP_CAPABILITIES);
    /* The config, walked through root-owned directories only (see open_config); no DAC capability is held, so
     * root reads it by its owner bits. */
    load_config();
    if (!suid_policy.allow_setuid)
        die("'allow setuid = no' in %s: the setuid starter is disabled on this host", STARTER_CONFIG_PATH);

    /* Every file access from here on is checked with the caller's own ids. */
    (void)setfsgid(caller_gid);
    (void)setfsuid(caller_uid);
    if ((gid_t)setfsgid((gid_t)-1) != caller_gid || (uid_t)setfsuid((uid_t)-1) != caller_uid)
        die("cannot set the fsuid and fsgid to the caller's");

    if (unprivileged_user_namespaces_work()) {
        /* Preferred, as Apptainer does: root is not needed at all. Dropped for good; the op list then runs exactly
         * as in the unprivileged starter. Dumpable again, so that /proc/self/uid_map is the caller's to write. */
        suid_drop_to_caller();
        if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
            die_with_errno("prctl(PR_SET_DUMPABLE, 1)");
        debug("setuid starter: unprivileged user namespaces work; running without root");
        return;
    }
    suid_privileged = true;
    debug("setuid starter: no unprivileged user namespaces; setuid mode");
}

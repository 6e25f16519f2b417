/*
 * The new root (privilege phase 4: the capabilities of the new user namespace, used for mounts only, inside the
 * private mount namespace; nothing here is visible to the host).
 *
 * Layout during setup, as in bubblewrap: a small tmpfs (the base) becomes the root, the host's root is moved to
 * /oldroot and the image is bound at /newroot. Every path is resolved at the moment it is mounted:
 *   - host paths beneath /oldroot, container paths beneath /newroot, with openat2(RESOLVE_IN_ROOT |
 *     RESOLVE_NO_MAGICLINKS): ".." and absolute symlinks stop at that root, so a link in the image
 *     (/var/etc -> /etc, x -> ../../..) can only ever lead to somewhere inside the image;
 *   - the mount then targets the resolved fd (/oldroot/proc/self/fd/N), never the path a second time.
 * At the end the base and /oldroot are detached and /newroot becomes /.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "setuid.h"
#include "starter.h"
#include "util.h"

/* mount_setattr(2) (Linux 5.12), declared here: <linux/mount.h> conflicts with glibc's <sys/mount.h>. */
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#endif
#ifndef MOUNT_ATTR_NODEV
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef MOUNT_ATTR_NOEXEC
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
struct starter_mount_attr {
    unsigned long long attr_set;
    unsigned long long attr_clr;
    unsigned long long propagation;
    unsigned long long userns_fd;
};

/* Where the base tmpfs is mounted before it becomes the root; any directory of the host will do. It holds only the
 * FILE contents (at most the 64 MiB of an op list), so its size is a cap, not a reservation. */
#define BASE_MOUNT_POINT "/tmp"
#define MAX_SKELETONS 4096

static int oldroot_fd = -1;
static int newroot_fd = -1;
/* The tmpfs skeletons made by UNDERLAY and the DEV_MINIMAL tmpfs: remounted read-only once every MKDIR / MKFILE
 * beneath them is done. */
static int skeleton_fds[MAX_SKELETONS];
static size_t skeleton_count = 0;

static void xclose(int fd);

typedef struct {
    char path[64];
} FdPath;

/* The path that mount(2) can use to target what `fd` refers to (the host's procfs, kept at /oldroot/proc). */
static FdPath fd_path(int fd)
{
    FdPath result;
    snprintf(result.path, sizeof result.path, "/oldroot/proc/self/fd/%d", fd);
    return result;
}

/* Linux before 5.6 has no openat2: then walk_beneath does the same resolution by hand; before 5.12 there is no
 * mount_setattr: then submounts are remounted read-only one by one. The test build (build/starter-walk,
 * -DSTARTER_FORCE_RESOLVE_WALK) always takes both fallbacks, so that they are tested on new kernels. */
#ifdef STARTER_FORCE_RESOLVE_WALK
static bool openat2_missing = true;
static bool mount_setattr_missing = true;
#else
static bool openat2_missing = false;
static bool mount_setattr_missing = false;
#endif

#define WALK_MAX_DEPTH 256
#define WALK_MAX_LINKS 40

/* For the walk, as RESOLVE_NO_MAGICLINKS: every link in procfs but /proc/self and /proc/thread-self counts as a
 * magic link (/proc/PID/root, cwd, exe, fd/N, ns/...), and is refused rather than read. */
static bool is_magic_link(int dir, const char *name)
{
    struct statfs fs;
    if (fstatfs(dir, &fs) < 0)
        return true;
    return fs.f_type == PROC_SUPER_MAGIC && strcmp(name, "self") != 0 && strcmp(name, "thread-self") != 0;
}

/*
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) by hand, for kernels without openat2. The path is walked one
 * component at a time from `root`, each component opened with O_NOFOLLOW relative to the previous one, so the
 * kernel never follows a link and never sees "..":
 *   - a symlink's target is read as text and spliced in front of the rest of the path; an absolute target
 *     restarts at `root`. A /proc magic link is refused (ELOOP), as with RESOLVE_NO_MAGICLINKS;
 *   - ".." pops our own stack of directory fds and stops at `root`;
 *   - after the last open, a racing rename that put a symlink there is refused (ELOOP).
 * At most WALK_MAX_LINKS links (ELOOP) and WALK_MAX_DEPTH levels. -1 with errno on failure.
 */
static int walk_beneath(int root, const char *path, int flags)
{
    int dirs[WALK_MAX_DEPTH];
    size_t depth = 0;
    dirs[0] = root; /* not ours: never closed */
    char *pending = xstrdup(path);
    const char *cursor = pending;
    int links = 0, result = -1, error = 0;
    for (;;) {
        while (*cursor == '/')
            cursor++;
        if (*cursor == '\0') {
            /* The path ends on a directory we hold (or on the root itself). */
            result = openat(dirs[depth], ".", flags | O_CLOEXEC);
            error = errno;
            break;
        }
        size_t length = strcspn(cursor, "/");
        char name[NAME_MAX + 1];
        if (length > NAME_MAX) {
            error = ENAMETOOLONG;
            break;
        }
        memcpy(name, cursor, length);
        name[length] = '\0';
        cursor += length;
        const char *after = cursor + strspn(cursor, "/");
        bool last = *after == '\0';
        if (strcmp(name, ".") == 0)
            continue;
        if (strcmp(name, "..") == 0) {
            if (depth > 0)
                xclose(dirs[depth--]);
            continue;
        }
        struct stat info;
        if (fstatat(dirs[depth], name, &info, AT_SYMLINK_NOFOLLOW) < 0) {
            error = errno;
            break;
        }
        /* Setuid mode: no link at all is followed while privileged (as RESOLVE_NO_SYMLINKS). */
        if (S_ISLNK(info.st_mode) && (suid_privileged || is_magic_link(dirs[depth], name))) {
            error = ELOOP;
            break;
        }
        if (S_ISLNK(info.st_mode)) {
            char target[PATH_MAX];
            ssize_t got = readlinkat(dirs[depth], name, target, sizeof target - 1);
            if (++links > WALK_MAX_LINKS || got < 0) {
                error = got < 0 ? errno : ELOOP;
                break;
            }
            target[got] = '\0';
            if (target[0] == '/') {
                while (depth > 0)
                    xclose(dirs[depth--]);
            }
            char *spliced = xasprintf("%s/%s", target, cursor);
            free(pending);
            pending = spliced;
            cursor = pending;
            continue;
        }
        if (last) {
            result = openat(dirs[depth], name, flags | O_NOFOLLOW | O_CLOEXEC);
            error = errno;
            struct stat opened;
            if (result >= 0 && (fstat(result, &opened) < 0 || S_ISLNK(opened.st_mode))) {
                xclose(result);
                result = -1;
                error = ELOOP;
            }
            break;
        }
        if (!S_ISDIR(info.st_mode) || depth + 1 == WALK_MAX_DEPTH) {
            error = S_ISDIR(info.st_mode) ? ENAMETOOLONG : ENOTDIR;
            break;
        }
        /* O_DIRECTORY: triggers an automount here (autofs under /cvmfs); with O_NOFOLLOW, a link that raced in
         * fails with ENOTDIR instead of being followed. */
        int next = openat(dirs[depth], name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            error = errno;
            break;
        }
        dirs[++depth] = next;
    }
    while (depth > 0)
        xclose(dirs[depth--]);
    free(pending);
    errno = error;
    return result;
}

/* `path` beneath `root`, never leaving it; -1 with errno on failure. `flags` are open(2) flags (O_PATH: a target). */
static int try_resolve_beneath(int root, const char *path, int flags)
{
    flags |= (flags & O_PATH) ? 0 : O_NOCTTY;
    if (!openat2_missing) {
        struct open_how how = {
            .flags = (unsigned long long)(flags | O_CLOEXEC),
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (suid_privileged ? RESOLVE_NO_SYMLINKS : 0),
        };
        for (int attempt = 0;; attempt++) {
            long fd = syscall(SYS_openat2, root, path, &how, sizeof how);
            if (fd < 0 && errno == ENOSYS)
                break;
            /* EAGAIN: a rename or mount raced with the resolution (RESOLVE_IN_ROOT checks for it); try again. */
            if (fd >= 0 || errno != EAGAIN || attempt >= 32)
                return (int)fd;
        }
        openat2_missing = true;
        debug("openat2 is not available (Linux before 5.6): resolving paths one component at a time");
    }
    return walk_beneath(root, path, flags);
}

__attribute__((noreturn)) static void die_unresolved(int root, const char *path, const char *op)
{
    die_with_errno("%s: cannot resolve %s %s", op, path, root == newroot_fd ? "inside the image" : "on the host");
}

/* Resolve `path` beneath `root` or die naming the op, the path and the reason. */
static int resolve_beneath(int root, const char *path, int flags, const char *op)
{
    int fd = try_resolve_beneath(root, path, flags);
    if (fd < 0)
        die_unresolved(root, path, op);
    return fd;
}

/* /newroot, re-opened: the lookup of the path crosses every mount stacked on it, so the fd is the top one. */
static void refresh_new_root(void)
{
    int fd = open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        die_with_errno("cannot open /newroot");
    if (newroot_fd >= 0 && close(newroot_fd) < 0)
        die_with_errno("close");
    newroot_fd = fd;
}

/*
 * A container path, beneath the new root. The root fd is refreshed first: after a mount on the container's "/"
 * (UNDERLAY /), an older fd would still refer to the covered image root.
 */
static int resolve_in_container(const char *ctr, int flags, const char *op)
{
    refresh_new_root();
    return resolve_beneath(newroot_fd, ctr, flags, op);
}

static int resolve_on_host(const char *host, int flags, const char *op)
{
    return resolve_beneath(oldroot_fd, host, flags, op);
}

/* A bind source: opened as a directory first, because only that triggers an automount (autofs under /cvmfs) on
 * the last component of an O_PATH open; a file is opened on ENOTDIR. */
static int resolve_bind_source(const char *host, const char *op)
{
    int fd = try_resolve_beneath(oldroot_fd, host, O_PATH | O_DIRECTORY);
    if (fd >= 0)
        return fd;
    if (errno != ENOTDIR)
        die_unresolved(oldroot_fd, host, op);
    return resolve_on_host(host, O_PATH, op);
}

/* Setuid mode: the source as resolved (fsuid the caller's) must be one the caller may read (setuid.c). */
static void check_source(const char *what, int fd, const char *host, SuidSource kind)
{
    if (suid_privileged)
        suid_check_bind_source(what, oldroot_fd, fd, fd_path(fd).path, host, kind);
}

/* The mount now at `ctr`: resolved again, after the mount, since an fd taken before it refers to what it covers. */
static int resolve_mounted(const char *ctr, int flags, const char *op)
{
    return resolve_in_container(ctr, flags, op);
}

static void xclose(int fd)
{
    if (close(fd) < 0)
        die_with_errno("close");
}

/*
 * Remount the mount at `fd` read-only. In a user namespace the kernel locks the flags a mount had when it was
 * copied in (nosuid, nodev, noexec, the atime flags): a remount must repeat them or it fails with EPERM. So the
 * current flags are read back with fstatvfs and kept, and `extra` (nosuid, nodev) added.
 * With `recursive`, the submounts of a recursive bind get the same (read-only, and `extra`) through
 * mount_setattr(AT_RECURSIVE), which only sets flags and so never touches a locked one; before Linux 5.12 each
 * submount is remounted like the top one (remount_submounts_read_only).
 */
static void remount_read_only(int fd, unsigned long extra, bool recursive, const char *what);
/* The same, read-only only when `read_only` (setuid mode: nosuid,nodev on a read-write bind). */
static void remount_with(int fd, unsigned long extra, bool read_only, bool recursive, const char *what);

/* The mount id of the mount `fd` is on, from /proc/self/fdinfo (Linux 3.15+). */
static long mount_id_of(int fd, const char *what)
{
    char path[80];
    snprintf(path, sizeof path, "/oldroot/proc/self/fdinfo/%d", fd);
    FILE *info = fopen(path, "re");
    if (info == NULL)
        die_with_errno("%s: open %s", what, path);
    long id = -1;
    char line[256];
    while (fgets(line, sizeof line, info) != NULL) {
        if (sscanf(line, "mnt_id: %ld", &id) == 1)
            break;
    }
    fclose(info);
    if (id < 0)
        die("%s: no mnt_id in %s", what, path);
    return id;
}

/* Undo mountinfo's octal escapes (\040 for a space, ...) in place. */
static void unescape_mount_point(char *text)
{
    char *out = text;
    for (char *in = text; *in != '\0'; in++) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' && in[3] <= '7') {
            *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
            in += 3;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
}

#define MAX_SUBMOUNTS 4096

/*
 * Before Linux 5.12: the submounts of the mount at `fd` (every mount whose chain of parents reaches it, from
 * /proc/self/mountinfo) are remounted read-only one by one, each keeping its own locked flags. Mount points there
 * are the kernel's own canonical paths, relative to the current (base) root.
 */
static void remount_submounts_read_only(int fd, unsigned long extra, bool read_only, const char *what)
{
    long ids[MAX_SUBMOUNTS];
    size_t count = 0;
    ids[count++] = mount_id_of(fd, what);
    bool grew = true;
    /* Until nothing new: a child can be listed before its parent. */
    while (grew) {
        grew = false;
        FILE *table = fopen("/oldroot/proc/self/mountinfo", "re");
        if (table == NULL)
            die_with_errno("%s: open /proc/self/mountinfo", what);
        char *line = NULL;
        size_t capacity = 0;
        while (getline(&line, &capacity, table) > 0) {
            long id, parent;
            char point[PATH_MAX];
            if (sscanf(line, "%ld %ld %*s %*s %4095s", &id, &parent, point) != 3)
                continue;
            bool known = false, under = false;
            for (size_t i = 0; i < count; i++) {
                known |= ids[i] == id;
                under |= ids[i] == parent;
            }
            if (known || !under)
                continue;
            if (count == MAX_SUBMOUNTS)
                die("%s: more than %d submounts", what, MAX_SUBMOUNTS);
            ids[count++] = id;
            grew = true;
            unescape_mount_point(point);
            /* Setuid mode: the kernel's canonical path, resolved beneath the base root without links (a user could
             * swap a directory on the way for a link); else opened as it is. */
            int sub = -1;
            if (suid_privileged) {
                int base = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (base < 0)
                    die_with_errno("%s: open /", what);
                sub = try_resolve_beneath(base, point, O_PATH);
                int saved = errno;
                xclose(base);
                errno = saved;
            } else {
                sub = open(point, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            }
            if (sub < 0)
                die_with_errno("%s: open the submount %s", what, point);
            /* Only if that path still shows this submount (not something stacked over it). */
            if (mount_id_of(sub, what) == id) {
                char *sub_what = xasprintf("%s (submount %s)", what, point);
                remount_with(sub, extra, read_only, false, sub_what);
                free(sub_what);
            }
            xclose(sub);
        }
        free(line);
        fclose(table);
    }
    debug("%s: %zu submounts remounted one by one (no mount_setattr)", what, count - 1);
}

static void remount_read_only(int fd, unsigned long extra, bool recursive, const char *what)
{
    remount_with(fd, extra, true, recursive, what);
}

static void remount_with(int fd, unsigned long extra, bool read_only, bool recursive, const char *what)
{
    static const struct {
        unsigned long st_flag;
        unsigned long ms_flag;
    } flag_map[] = {
        { ST_NOSUID, MS_NOSUID },       { ST_NODEV, MS_NODEV },         { ST_NOEXEC, MS_NOEXEC },
        { ST_SYNCHRONOUS, MS_SYNCHRONOUS }, { ST_MANDLOCK, MS_MANDLOCK }, { ST_NOATIME, MS_NOATIME },
        { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME }, { ST_RDONLY, MS_RDONLY },
    };
    struct statvfs info;
    if (fstatvfs(fd, &info) < 0)
        die_with_errno("%s: statvfs", what);
    /* A read-only mount stays read-only (ST_RDONLY is kept): root in setuid mode could otherwise lift a read-only
     * bind the host made. */
    unsigned long flags = MS_REMOUNT | MS_BIND | (read_only ? MS_RDONLY : 0) | extra;
    for (size_t i = 0; i < sizeof flag_map / sizeof flag_map[0]; i++) {
        if (info.f_flag & flag_map[i].st_flag)
            flags |= flag_map[i].ms_flag;
    }
    if (mount(NULL, fd_path(fd).path, NULL, flags, NULL) < 0)
        die_with_errno("%s: cannot remount read-only", what);
    if (!recursive)
        return;
    struct starter_mount_attr attr = {
        .attr_set = (read_only ? MOUNT_ATTR_RDONLY : 0) | ((extra & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0) |
                    ((extra & MS_NODEV) ? MOUNT_ATTR_NODEV : 0) | ((extra & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0),
    };
    if (!mount_setattr_missing) {
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0)
            return;
        if (errno != ENOSYS)
            die_with_errno("%s: cannot make the submounts read-only", what);
        mount_setattr_missing = true;
    }
    remount_submounts_read_only(fd, extra, read_only, what);
}

/* Mount propagation: host mounts (e.g. autofs under /cvmfs) still reach us, nothing of ours reaches the host. */
void mount_make_slave(void)
{
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        die_with_errno("NAMESPACES: cannot make / a recursive slave mount");
}

/* The base tmpfs becomes the root, the host moves to /oldroot; then the image is bound at /newroot read-only. */
void mount_base_and_root(const char *image)
{
    if (mount("tmpfs", BASE_MOUNT_POINT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64m") < 0)
        die_with_errno("ROOT: cannot mount the base tmpfs on %s", BASE_MOUNT_POINT);
    if (chdir(BASE_MOUNT_POINT) < 0)
        die_with_errno("ROOT: chdir %s", BASE_MOUNT_POINT);
    if (mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0)
        die_with_errno("ROOT: mkdir in the base tmpfs");
    if (syscall(SYS_pivot_root, ".", "oldroot") < 0)
        die_with_errno("ROOT: pivot_root into the base tmpfs");
    if (chdir("/") < 0)
        die_with_errno("ROOT: chdir /");
    oldroot_fd = open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (oldroot_fd < 0)
        die_with_errno("ROOT: open /oldroot");

    int source = resolve_on_host(image, O_PATH | O_DIRECTORY, "ROOT");
    check_source("ROOT", source, image, SUID_SOURCE_IMAGE);
    if (mount(fd_path(source).path, "/newroot", NULL, MS_BIND | MS_REC, NULL) < 0)
        die_with_errno("ROOT %s: cannot bind the image", image);
    xclose(source);
    refresh_new_root();
    char *what = xasprintf("ROOT %s", image);
    remount_read_only(newroot_fd, MS_NOSUID | MS_NODEV, true, what);
    free(what);
    debug("image %s bound read-only at the new root", image);
}

/* A recursive bind of `source` (an fd) onto `target` (an fd); both must be directories or both not. */
static void bind_fds(int source, int target, const char *what)
{
    struct stat source_stat, target_stat;
    if (fstat(source, &source_stat) < 0 || fstat(target, &target_stat) < 0)
        die_with_errno("%s: stat", what);
    if (S_ISDIR(source_stat.st_mode) != S_ISDIR(target_stat.st_mode))
        die("%s: the source is %sa directory but the destination is %s", what,
            S_ISDIR(source_stat.st_mode) ? "" : "not ", S_ISDIR(target_stat.st_mode) ? "one" : "not");
    if (mount(fd_path(source).path, fd_path(target).path, NULL, MS_BIND | MS_REC, NULL) < 0)
        die_with_errno("%s: bind mount", what);
}

void mount_bind(const char *op, const char *host, const char *ctr, bool read_only)
{
    char *what = xasprintf("%s %s -> %s", op, host, ctr);
    int source = resolve_bind_source(host, what);
    bool fixed_host_path = strcmp(op, "BIND") != 0 && strcmp(op, "BIND_HOME") != 0;
    if (!fixed_host_path)
        check_source(what, source, host, strcmp(op, "BIND_HOME") == 0 ? SUID_SOURCE_HOME : SUID_SOURCE_BIND);
    int target = resolve_in_container(ctr, O_PATH, what);
    bind_fds(source, target, what);
    xclose(source);
    xclose(target);
    /* Setuid mode: every bind nosuid, and nodev but the host's /dev (whose devices are the point of DEV). */
    unsigned long extra = !suid_privileged ? 0 : strcmp(op, "DEV") == 0 ? MS_NOSUID : MS_NOSUID | MS_NODEV;
    if (read_only || extra != 0) {
        int mounted = resolve_mounted(ctr, O_PATH, what);
        remount_with(mounted, extra, read_only, true, what);
        xclose(mounted);
    }
    free(what);
    debug("bound %s at %s (%s)", host, ctr, read_only ? "read-only" : "read-write");
}

/* Split an absolute container path into its parent and last component (which must be a real name). */
static void split_path(const char *op, const char *ctr, char **parent, char **name)
{
    char *copy = xstrdup(ctr);
    size_t length = strlen(copy);
    while (length > 1 && copy[length - 1] == '/')
        copy[--length] = '\0';
    char *slash = strrchr(copy, '/');
    *name = xstrdup(slash + 1);
    if ((*name)[0] == '\0' || strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0)
        die("%s %s: the path must end in a name", op, ctr);
    slash[1] = '\0';
    *parent = copy;
}

static void create_beneath(const char *op, const char *ctr, bool directory)
{
    char *parent_path, *name;
    split_path(op, ctr, &parent_path, &name);
    char *what = xasprintf("%s %s", op, ctr);
    int parent = resolve_in_container(parent_path, O_PATH | O_DIRECTORY, what);
    free(what);
    int result;
    if (directory) {
        result = mkdirat(parent, name, 0755);
    } else {
        result = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (result >= 0)
            xclose(result);
    }
    /* EEXIST is tolerated: the destination is there already (a symlink is resolved inside the image later).
     * EROFS is what the image gives: MKDIR and MKFILE only work beneath an UNDERLAY skeleton or a TMPFS. */
    if (result < 0 && errno == EROFS)
        die("%s %s: the parent is read-only (create it beneath an UNDERLAY or TMPFS)", op, ctr);
    if (result < 0 && errno != EEXIST)
        die_with_errno("%s %s", op, ctr);
    xclose(parent);
    free(parent_path);
    free(name);
    debug("created %s %s", directory ? "directory" : "file", ctr);
}

void mount_mkdir(const char *ctr)
{
    create_beneath("MKDIR", ctr, true);
}

void mount_mkfile(const char *ctr)
{
    create_beneath("MKFILE", ctr, false);
}

/* One entry of an UNDERLAY'd directory, recreated in the skeleton: symlinks copied, everything else bound back. */
static void underlay_entry(int original, int skeleton, const char *name, const char *ctr)
{
    struct stat info;
    if (fstatat(original, name, &info, AT_SYMLINK_NOFOLLOW) < 0)
        die_with_errno("UNDERLAY %s: stat %s", ctr, name);
    if (S_ISLNK(info.st_mode)) {
        char target[PATH_MAX];
        ssize_t length = readlinkat(original, name, target, sizeof target - 1);
        if (length < 0)
            die_with_errno("UNDERLAY %s: readlink %s", ctr, name);
        target[length] = '\0';
        if (symlinkat(target, skeleton, name) < 0)
            die_with_errno("UNDERLAY %s: symlink %s", ctr, name);
        return;
    }
    if (S_ISDIR(info.st_mode)) {
        if (mkdirat(skeleton, name, 0755) < 0)
            die_with_errno("UNDERLAY %s: mkdir %s", ctr, name);
    } else {
        int created = openat(skeleton, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (created < 0)
            die_with_errno("UNDERLAY %s: create %s", ctr, name);
        xclose(created);
    }
    int source = openat(original, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    int target = openat(skeleton, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (source < 0 || target < 0)
        die_with_errno("UNDERLAY %s: open %s", ctr, name);
    char *what = xasprintf("UNDERLAY %s: %s", ctr, name);
    bind_fds(source, target, what);
    free(what);
    xclose(source);
    xclose(target);
}

void mount_underlay(const char *ctr)
{
    int original = resolve_in_container(ctr, O_RDONLY | O_DIRECTORY, "UNDERLAY");
    struct stat info;
    if (fstat(original, &info) < 0)
        die_with_errno("UNDERLAY %s: stat", ctr);
    char *options = xasprintf("mode=0%o", (unsigned)(info.st_mode & 0777));
    if (mount("tmpfs", fd_path(original).path, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0)
        die_with_errno("UNDERLAY %s: cannot mount the skeleton tmpfs", ctr);
    free(options);
    int skeleton = resolve_mounted(ctr, O_PATH | O_DIRECTORY, "UNDERLAY");
    struct stat skeleton_info;
    if (fstat(skeleton, &skeleton_info) < 0)
        die_with_errno("UNDERLAY %s: stat", ctr);
    if (skeleton_info.st_dev == info.st_dev)
        die("UNDERLAY %s: the skeleton tmpfs is not where it was mounted", ctr);

    /* The original entries are read through `original`, which still refers to the covered directory. */
    int listing = fcntl(original, F_DUPFD_CLOEXEC, 3);
    DIR *dir = listing < 0 ? NULL : fdopendir(listing);
    if (dir == NULL)
        die_with_errno("UNDERLAY %s: opendir", ctr);
    size_t entries = 0;
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(dir);
        if (entry == NULL) {
            if (errno != 0)
                die_with_errno("UNDERLAY %s: readdir", ctr);
            break;
        }
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        underlay_entry(original, skeleton, entry->d_name, ctr);
        entries++;
    }
    if (closedir(dir) < 0)
        die_with_errno("UNDERLAY %s: closedir", ctr);
    xclose(original);
    if (skeleton_count == MAX_SKELETONS)
        die("UNDERLAY %s: more than %d underlays", ctr, MAX_SKELETONS);
    skeleton_fds[skeleton_count++] = skeleton;
    debug("underlay at %s: %zu entries bound back into a tmpfs skeleton", ctr, entries);
}

void mount_tmpfs(const char *ctr, unsigned long long size)
{
    int target = resolve_in_container(ctr, O_PATH | O_DIRECTORY, "TMPFS");
    char *options = size == 0 ? xstrdup("mode=01777") : xasprintf("mode=01777,size=%llu", size);
    if (mount("tmpfs", fd_path(target).path, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0)
        die_with_errno("TMPFS %s: mount (%s)", ctr, options);
    free(options);
    xclose(target);
    debug("tmpfs at %s (size %llu)", ctr, size);
}

void mount_proc(const char *ctr)
{
    int target = resolve_in_container(ctr, O_PATH | O_DIRECTORY, "PROC");
    if (mount("proc", fd_path(target).path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        die_with_errno("PROC %s: cannot mount a new procfs", ctr);
    xclose(target);
    debug("new procfs at %s", ctr);
}

/* A minimal /dev: a tmpfs with the harmless host devices bound in, a new devpts instance (unless `devpts` is
 * false: DEV_MINIMAL_NO_PTS, for `mount devpts = no`) and a shm tmpfs. */
void mount_dev_minimal(const char *ctr, bool devpts)
{
    static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };
    static const char *const links[][2] = {
        { "fd", "/proc/self/fd" },        { "stdin", "/proc/self/fd/0" },
        { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
    };
    /* The last link, ptmx, only with a devpts. */
    size_t link_count = sizeof links / sizeof links[0] - (devpts ? 0 : 1);
    int target = resolve_in_container(ctr, O_PATH | O_DIRECTORY, "DEV_MINIMAL");
    if (mount("tmpfs", fd_path(target).path, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
        die_with_errno("DEV_MINIMAL %s: cannot mount the tmpfs", ctr);
    xclose(target);
    int dev = resolve_mounted(ctr, O_PATH | O_DIRECTORY, "DEV_MINIMAL");
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
        int created = openat(dev, devices[i], O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (created < 0)
            die_with_errno("DEV_MINIMAL %s: create %s", ctr, devices[i]);
        xclose(created);
        char *host = xasprintf("/dev/%s", devices[i]);
        int source = resolve_on_host(host, O_PATH, "DEV_MINIMAL");
        int node = openat(dev, devices[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (node < 0)
            die_with_errno("DEV_MINIMAL %s: open %s", ctr, devices[i]);
        bind_fds(source, node, "DEV_MINIMAL");
        xclose(source);
        xclose(node);
        free(host);
    }
    for (size_t i = 0; i < link_count; i++) {
        if (symlinkat(links[i][1], dev, links[i][0]) < 0)
            die_with_errno("DEV_MINIMAL %s: symlink %s", ctr, links[i][0]);
    }
    if (devpts) {
        if (mkdirat(dev, "pts", 0755) < 0)
            die_with_errno("DEV_MINIMAL %s: mkdir pts", ctr);
        int pts = openat(dev, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (pts < 0)
            die_with_errno("DEV_MINIMAL %s: open pts", ctr);
        if (mount("devpts", fd_path(pts).path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0)
            die_with_errno("DEV_MINIMAL %s: cannot mount a new devpts instance", ctr);
        xclose(pts);
    }
    if (mkdirat(dev, "shm", 01777) < 0)
        die_with_errno("DEV_MINIMAL %s: mkdir shm", ctr);
    int shm = openat(dev, "shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (shm < 0)
        die_with_errno("DEV_MINIMAL %s: open shm", ctr);
    if (mount("tmpfs", fd_path(shm).path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=01777") < 0)
        die_with_errno("DEV_MINIMAL %s: cannot mount the shm tmpfs", ctr);
    xclose(shm);
    /* Read-only at the end, like the UNDERLAY skeletons: later MKDIR/MKFILE (e.g. --nv's /dev/nvidia0) still work,
     * the payload cannot add entries to /dev. shm and pts are their own mounts and stay writable. */
    if (skeleton_count == MAX_SKELETONS)
        die("DEV_MINIMAL %s: more than %d read-only-at-the-end mounts", ctr, MAX_SKELETONS);
    skeleton_fds[skeleton_count++] = dev;
    debug("minimal /dev at %s%s", ctr, devpts ? "" : " (no devpts)");
}

/* FILE: the content is written into the base tmpfs (ours, outside the image) and bound read-only at `ctr`. */
void mount_file(const char *ctr, const char *content)
{
    static unsigned counter = 0;
    char *staged = xasprintf("/file-%u", counter++);
    int fd = open(staged, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (fd < 0)
        die_with_errno("FILE %s: create %s in the base tmpfs", ctr, staged);
    if (!write_all(fd, content, strlen(content)))
        die_with_errno("FILE %s: write", ctr);
    xclose(fd);
    int source = open(staged, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (source < 0)
        die_with_errno("FILE %s: open %s", ctr, staged);
    char *what = xasprintf("FILE %s", ctr);
    int target = resolve_in_container(ctr, O_PATH, what);
    bind_fds(source, target, what);
    xclose(source);
    xclose(target);
    int mounted = resolve_mounted(ctr, O_PATH, what);
    remount_read_only(mounted, MS_NOSUID | MS_NODEV | MS_NOEXEC, false, what);
    xclose(mounted);
    free(what);
    free(staged);
    debug("file of %zu bytes at %s", strlen(content), ctr);
}

/*
 * End of privilege phase 4: the UNDERLAY skeletons become read-only like the image they stand for, the host's
 * root is detached (made private first, so that the unmount is not propagated), /newroot becomes / and the base
 * tmpfs stacked under it is detached too. Nothing of the host stays reachable except what was bound.
 */
void mount_pivot_into_new_root(void)
{
    for (size_t i = 0; i < skeleton_count; i++) {
        /* Not recursive: read-write binds made beneath the skeleton stay read-write. */
        remount_read_only(skeleton_fds[i], MS_NOSUID | MS_NODEV, false, "UNDERLAY or DEV_MINIMAL (making it read-only)");
        xclose(skeleton_fds[i]);
    }
    xclose(newroot_fd);
    xclose(oldroot_fd);
    if (mount("/oldroot", "/oldroot", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die_with_errno("cannot make /oldroot private");
    if (umount2("/oldroot", MNT_DETACH) < 0)
        die_with_errno("cannot detach the host's root");
    if (chdir("/newroot") < 0)
        die_with_errno("chdir /newroot");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        die_with_errno("pivot_root into the new root");
    if (umount2(".", MNT_DETACH) < 0)
        die_with_errno("cannot detach the base tmpfs");
    if (chdir("/") < 0)
        die_with_errno("chdir /");
    debug("pivoted into the new root; the host's root is detached");
}

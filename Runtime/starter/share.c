/*
 * Shared user namespaces (USER_SHARED, the front end's --sharens): the containers that one parent process starts
 * on this node (MPI ranks started by mpirun, prted, orted, slurmstepd or hydra) share one user namespace, so that
 * they may use shared memory and cross-memory attach (process_vm_readv) on each other as they would outside.
 *
 * Rendezvous: an abstract unix socket (no file, so nothing is left behind), named from the caller's uid and the key
 * the front end computed (the parent's pid and start time): "\0cvmfs-images-sharens-<uid>-<pid>-<start>".
 *   - The first process binds it and becomes the creator: it forks; its child creates the user namespace and hands
 *     an fd of it back over a socketpair; the parent (the holder, still in the host's user namespace with the
 *     caller's plain credentials) serves that fd to later processes and forwards signals to its child, and exits
 *     with the child's status, closing the socket.
 *   - A later process connects, checks that the holder runs as its own uid (SO_PEERCRED, read in the host's user
 *     namespace, so an unmapped uid cannot pass for it), receives the fd, checks that it is a user namespace owned
 *     by its uid and created directly beneath its own, joins it with setns and checks that its ids are mapped.
 * Only processes that ask (connect with the same key) are joined; the kernel refuses setns into another user's
 * namespace anyway (no CAP_SYS_ADMIN over it). The holder checks each peer's uid before it answers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "starter.h"
#include "util.h"

/* How long a process waits for the holder's answer, and how often it retries a rendezvous that is being set up. */
#define SHARE_ANSWER_TIMEOUT_SECONDS 10
#define SHARE_ATTEMPTS 200
#define SHARE_RETRY_NANOSECONDS (10 * 1000 * 1000)
/* The one byte that travels with the namespace fd. */
#define SHARE_MESSAGE 'U'

static socklen_t rendezvous_address(struct sockaddr_un *address, uid_t uid, unsigned long long key_pid,
                                    unsigned long long key_start)
{
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    /* Abstract: sun_path[0] is NUL and the name is the bytes after it (not NUL-terminated). */
    int length = snprintf(address->sun_path + 1, sizeof address->sun_path - 1, "cvmfs-images-sharens-%u-%llu-%llu",
                          (unsigned)uid, key_pid, key_start);
    if (length < 0 || (size_t)length >= sizeof address->sun_path - 1)
        die("USER_SHARED: the rendezvous name does not fit");
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)length);
}

/* One message: one byte of data and room for one fd (SCM_RIGHTS), as both directions use it. */
typedef struct {
    char byte;
    struct iovec iov;
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr header;
} FdMessage;

static void fd_message_init(FdMessage *m, char byte)
{
    memset(m, 0, sizeof *m);
    m->byte = byte;
    m->iov.iov_base = &m->byte;
    m->iov.iov_len = 1;
    m->header.msg_iov = &m->iov;
    m->header.msg_iovlen = 1;
    m->header.msg_control = m->control.space;
    m->header.msg_controllen = sizeof m->control.space;
}

/* Send `fd` with the one message byte; false (errno set) when the peer is gone. */
static bool send_fd(int channel, int fd)
{
    FdMessage m;
    fd_message_init(&m, SHARE_MESSAGE);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&m.header);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    return sendmsg(channel, &m.header, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
}

/* One fd and the expected byte from `channel`; -1 when the other end closed without sending. */
static int receive_fd(int channel, const char *from)
{
    FdMessage m;
    fd_message_init(&m, 0);
    ssize_t got;
    do {
        got = recvmsg(channel, &m.header, MSG_CMSG_CLOEXEC);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        if (errno == EAGAIN)
            die("USER_SHARED: %s did not answer within %d seconds", from, SHARE_ANSWER_TIMEOUT_SECONDS);
        die_with_errno("USER_SHARED: recvmsg from %s", from);
    }
    if (got == 0)
        return -1;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&m.header);
    if (m.byte != SHARE_MESSAGE || (m.header.msg_flags & MSG_CTRUNC) || cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET ||
        cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
        die("USER_SHARED: %s sent something other than one namespace fd", from);
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
    return fd;
}

static uid_t peer_uid(int fd)
{
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) < 0)
        die_with_errno("USER_SHARED: getsockopt(SO_PEERCRED)");
    return credentials.uid;
}

/* Join the user namespace behind `nsfd` after checking it is one this caller may share (see the top comment). */
static void join(int nsfd, uid_t uid, gid_t gid)
{
    int type = ioctl(nsfd, NS_GET_NSTYPE);
    if (type < 0)
        die_with_errno("USER_SHARED: ioctl(NS_GET_NSTYPE) on the received fd");
    if (type != CLONE_NEWUSER)
        die("USER_SHARED: the received fd is not a user namespace");
    uid_t owner;
    if (ioctl(nsfd, NS_GET_OWNER_UID, &owner) < 0)
        die_with_errno("USER_SHARED: ioctl(NS_GET_OWNER_UID)");
    if (owner != uid)
        die("USER_SHARED: the shared user namespace belongs to uid %u, not to the caller (uid %u)", (unsigned)owner,
            (unsigned)uid);
    int parent = ioctl(nsfd, NS_GET_PARENT);
    if (parent < 0)
        die_with_errno("USER_SHARED: ioctl(NS_GET_PARENT)");
    struct stat theirs, ours;
    if (fstat(parent, &theirs) < 0 || stat("/proc/self/ns/user", &ours) < 0)
        die_with_errno("USER_SHARED: stat of the user namespaces");
    if (close(parent) < 0)
        die_with_errno("USER_SHARED: close");
    if (theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino)
        die("USER_SHARED: the shared user namespace is not a child of the caller's");
    if (setns(nsfd, CLONE_NEWUSER) < 0)
        die_with_errno("USER_SHARED: setns into the shared user namespace");
    if (close(nsfd) < 0)
        die_with_errno("USER_SHARED: close");
    /* Unmapped ids would read as the overflow ids here. */
    if (getuid() != uid || getgid() != gid)
        die("USER_SHARED: the shared user namespace does not map uid %u and gid %u to themselves", (unsigned)uid,
            (unsigned)gid);
}

int share_rendezvous(uid_t uid, gid_t gid, unsigned long long key_pid, unsigned long long key_start)
{
    struct sockaddr_un address;
    socklen_t length = rendezvous_address(&address, uid, key_pid, key_start);
    for (int attempt = 0; attempt < SHARE_ATTEMPTS; attempt++) {
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
            die_with_errno("USER_SHARED: socket");
        if (connect(fd, (struct sockaddr *)&address, length) == 0) {
            uid_t holder = peer_uid(fd);
            if (holder != uid)
                die("USER_SHARED: the rendezvous @%s is held by uid %u, not by the caller (uid %u); refusing to share",
                    address.sun_path + 1, (unsigned)holder, (unsigned)uid);
            struct timeval timeout = { .tv_sec = SHARE_ANSWER_TIMEOUT_SECONDS, .tv_usec = 0 };
            if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0)
                die_with_errno("USER_SHARED: setsockopt(SO_RCVTIMEO)");
            int nsfd = receive_fd(fd, "the holder of the shared namespace");
            if (close(fd) < 0)
                die_with_errno("USER_SHARED: close");
            if (nsfd >= 0) {
                join(nsfd, uid, gid);
                debug("joined the shared user namespace @%s", address.sun_path + 1);
                return -1;
            }
            /* The holder closed without answering: its container ended as we came. Start over. */
        } else {
            /* ECONNREFUSED: nobody listens under this name (yet, or any more). */
            if (errno != ECONNREFUSED && errno != ENOENT)
                die_with_errno("USER_SHARED: connect to @%s", address.sun_path + 1);
            if (close(fd) < 0)
                die_with_errno("USER_SHARED: close");
            int listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
            if (listener < 0)
                die_with_errno("USER_SHARED: socket");
            if (bind(listener, (struct sockaddr *)&address, length) == 0) {
                if (listen(listener, 64) < 0)
                    die_with_errno("USER_SHARED: listen on @%s", address.sun_path + 1);
                debug("creating the shared user namespace @%s", address.sun_path + 1);
                return listener;
            }
            /* EADDRINUSE: another process bound the name between our connect and bind; it listens at once. */
            if (errno != EADDRINUSE)
                die_with_errno("USER_SHARED: bind @%s", address.sun_path + 1);
            if (close(listener) < 0)
                die_with_errno("USER_SHARED: close");
        }
        struct timespec pause = { .tv_sec = 0, .tv_nsec = SHARE_RETRY_NANOSECONDS };
        (void)nanosleep(&pause, NULL); /* EINTR: an early retry is harmless */
    }
    die("USER_SHARED: could neither join nor create the shared user namespace @%s", address.sun_path + 1);
}

void share_send_namespace(int channel)
{
    int nsfd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
    if (nsfd < 0)
        die_with_errno("USER_SHARED: open /proc/self/ns/user");
    if (!send_fd(channel, nsfd))
        die_with_errno("USER_SHARED: cannot hand the namespace to the holder");
    if (close(nsfd) < 0)
        die_with_errno("USER_SHARED: close");
}

int share_receive_namespace(int channel)
{
    return receive_fd(channel, "the container");
}

void share_serve_one(int listener, int nsfd)
{
    int connection = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (connection < 0) {
        /* The peer gave up between poll and accept, or a transient error: the next one is served. */
        if (errno == EAGAIN || errno == ECONNABORTED || errno == EINTR || errno == EPROTO)
            return;
        die_with_errno("USER_SHARED: accept");
    }
    uid_t peer = peer_uid(connection);
    if (peer == getuid()) {
        /* A peer that left before the answer (EPIPE, ECONNRESET) only misses it; the holder goes on. */
        if (!send_fd(connection, nsfd))
            debug("the namespace fd did not reach a peer: %s", strerror(errno));
    } else
        debug("refused the shared user namespace to uid %u", (unsigned)peer);
    if (close(connection) < 0)
        die_with_errno("USER_SHARED: close");
}

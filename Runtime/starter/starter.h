/* Interfaces between the starter's files: mounts.c (the new root) and process.c (privileges, init, exec). */
#ifndef STARTER_STARTER_H
#define STARTER_STARTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* mounts.c: everything is done inside the private mount namespace, with the capabilities of the new user
 * namespace. Host paths are resolved beneath the host's root (kept at /oldroot), container paths beneath the new
 * root; both with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, at the moment of mounting. */
void mount_make_slave(void);
void mount_base_and_root(const char *image);
void mount_underlay(const char *ctr);
void mount_mkdir(const char *ctr);
void mount_mkfile(const char *ctr);
void mount_bind(const char *op, const char *host, const char *ctr, bool read_only);
void mount_tmpfs(const char *ctr, unsigned long long size);
void mount_proc(const char *ctr);
void mount_dev_minimal(const char *ctr, bool devpts);
void mount_file(const char *ctr, const char *content);
void mount_pivot_into_new_root(void);

/* process.c */
void reset_inherited_signal_state(void);
void block_forwarded_signals(void);
void set_no_new_privs(void);
void drop_bounding_and_ambient_sets(void);
void drop_all_capabilities(void);
void forbid_terminal_injection(void);
void close_inherited_fds(void);
/* Every fd >= 3 but the `count` fds in `keep`. */
void close_inherited_fds_except(const int *keep, size_t count);
/* Forward the forwarded signals to `child` and exit with its status; with `reap_all` (PID 1) reap every process.
 * With `listener` >= 0 (the holder of a shared user namespace) also answer its connections with `nsfd`. */
__attribute__((noreturn)) void forward_signals_until_exit(pid_t child, bool reap_all, int listener, int nsfd);
__attribute__((noreturn)) void run_payload(char **argv, char **envp, bool pid_namespace);

/* share.c: shared user namespaces (USER_SHARED). share_rendezvous joins the namespace of the holder for this key
 * and returns -1, or returns a listening socket: then the caller creates the namespace and becomes the holder. */
int share_rendezvous(uid_t uid, gid_t gid, unsigned long long key_pid, unsigned long long key_start);
void share_send_namespace(int channel);
/* The namespace fd the creator's child sent; -1 when it ended before sending one. */
int share_receive_namespace(int channel);
void share_serve_one(int listener, int nsfd);

#endif

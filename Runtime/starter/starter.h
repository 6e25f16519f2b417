/* Interfaces between the starter's files: mounts.c (the new root) and process.c (privileges, init, exec). */
#ifndef STARTER_STARTER_H
#define STARTER_STARTER_H

#include <stdbool.h>
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
void drop_all_capabilities(void);
void forbid_terminal_injection(void);
void close_inherited_fds(void);
void close_inherited_fds_except(int keep);
__attribute__((noreturn)) void forward_signals_until_exit(pid_t child, bool reap_all);
__attribute__((noreturn)) void run_payload(char **argv, char **envp, bool pid_namespace);

#endif

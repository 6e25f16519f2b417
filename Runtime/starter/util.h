/*
 * Small helpers shared by the starter's files: fatal errors, debug messages and checked allocation.
 * Every failure path ends in die(): the starter never continues after an error it did not expect.
 */
#ifndef STARTER_UTIL_H
#define STARTER_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* The starter's own errors exit with this status, as Singularity's do. */
#define EXIT_STARTER_ERROR 255

/* Set by the DEBUG op: messages on stderr in Singularity's debug format. */
extern bool debug_enabled;

/* Print "FATAL:   starter: <message>" on stderr and exit 255. */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *format, ...);

/* Same, with ": <strerror(errno)>" appended (errno as it was when die_with_errno was called). */
__attribute__((noreturn, format(printf, 1, 2))) void die_with_errno(const char *format, ...);

/* A debug line "DEBUG   [U=uid,P=pid]   function()   message", only when debug_enabled. */
__attribute__((format(printf, 2, 3))) void debug_message(const char *function, const char *format, ...);
#define debug(...) debug_message(__func__, __VA_ARGS__)

#ifdef STARTER_FUZZ
/* The fuzz build (bench/starter-fuzz.sh): die() formats its message (so that every format string meets fuzzed
 * text) and longjmps here instead of exiting; every x* allocation is recorded and freed by fuzz_free_all(). */
#include <setjmp.h>
extern jmp_buf fuzz_escape;
void fuzz_free_all(void);
#endif

void *xcalloc(size_t count, size_t size);
char *xstrdup(const char *text);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *format, ...);

/* Write all of `length` bytes of `data` to `fd`, retrying short writes and EINTR; false (errno set) on error. */
bool write_all(int fd, const char *data, size_t length);

#endif

/* Fatal errors, debug messages and checked allocation for the starter (see util.h). */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool debug_enabled = false;

#ifdef STARTER_FUZZ
jmp_buf fuzz_escape;
#define FUZZ_MAX_ALLOCATIONS 65536
static void *fuzz_allocations[FUZZ_MAX_ALLOCATIONS];
static size_t fuzz_allocation_count;

static void *fuzz_record(void *memory)
{
    if (fuzz_allocation_count == FUZZ_MAX_ALLOCATIONS)
        abort(); /* more allocations for one input than any op list can need: a finding */
    fuzz_allocations[fuzz_allocation_count++] = memory;
    return memory;
}

void fuzz_free_all(void)
{
    while (fuzz_allocation_count > 0)
        free(fuzz_allocations[--fuzz_allocation_count]);
}

/* The message is formatted as for real (into a buffer nobody reads), then the input's run ends. */
__attribute__((noreturn)) static void fuzz_die(const char *format, va_list args)
{
    char message[1024];
    vsnprintf(message, sizeof message, format, args);
    longjmp(fuzz_escape, 1);
}
#else
#define fuzz_record(memory) (memory)
#endif

/* Write the formatted text on one line: a newline or carriage return in a path or value must not forge a second
 * message, so they become spaces. */
static void write_one_line(const char *format, va_list args)
{
    char *text = NULL;
    if (vasprintf(&text, format, args) < 0) {
        fputs("(out of memory formatting a message)", stderr);
        return;
    }
    for (char *c = text; *c != '\0'; c++) {
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    }
    fputs(text, stderr);
    free(text);
}

static void vmessage(const char *format, va_list args, int saved_errno)
{
    fputs("FATAL:   starter: ", stderr);
    write_one_line(format, args);
    if (saved_errno != 0)
        fprintf(stderr, ": %s", strerror(saved_errno));
    fputc('\n', stderr);
}

void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
#ifdef STARTER_FUZZ
    fuzz_die(format, args);
#endif
    vmessage(format, args, 0);
    va_end(args);
    exit(EXIT_STARTER_ERROR);
}

void die_with_errno(const char *format, ...)
{
    int saved_errno = errno;
    va_list args;
    va_start(args, format);
#ifdef STARTER_FUZZ
    fuzz_die(format, args);
#endif
    vmessage(format, args, saved_errno);
    va_end(args);
    exit(EXIT_STARTER_ERROR);
}

void debug_message(const char *function, const char *format, ...)
{
    if (!debug_enabled)
        return;
    int saved_errno = errno;
    char who[64];
    char name[128];
    /* The columns of the front end's (and Singularity's) debug lines: level 8, [U=,P=] 18, function() 32. */
    snprintf(who, sizeof who, "[U=%u,P=%d]", (unsigned)getuid(), (int)getpid());
    snprintf(name, sizeof name, "%s()", function);
    fprintf(stderr, "%-8s%-18s%-32s", "DEBUG", who, name);
    va_list args;
    va_start(args, format);
    write_one_line(format, args);
    va_end(args);
    fputc('\n', stderr);
    errno = saved_errno;
}

void *xcalloc(size_t count, size_t size)
{
    void *memory = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
    if (memory == NULL)
        die("out of memory");
    return fuzz_record(memory);
}

char *xstrdup(const char *text)
{
    char *copy = strdup(text);
    if (copy == NULL)
        die("out of memory");
    return fuzz_record(copy);
}

char *xasprintf(const char *format, ...)
{
    char *result = NULL;
    va_list args;
    va_start(args, format);
    int length = vasprintf(&result, format, args);
    va_end(args);
    if (length < 0)
        die("out of memory");
    return fuzz_record(result);
}

bool write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += written;
        length -= (size_t)written;
    }
    return true;
}

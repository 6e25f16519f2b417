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

static void vmessage(const char *format, va_list args, int saved_errno)
{
    fputs("FATAL:   starter: ", stderr);
    vfprintf(stderr, format, args);
    if (saved_errno != 0)
        fprintf(stderr, ": %s", strerror(saved_errno));
    fputc('\n', stderr);
}

void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vmessage(format, args, 0);
    va_end(args);
    exit(EXIT_STARTER_ERROR);
}

void die_with_errno(const char *format, ...)
{
    int saved_errno = errno;
    va_list args;
    va_start(args, format);
    vmessage(format, args, saved_errno);
    va_end(args);
    exit(EXIT_STARTER_ERROR);
}

void debug_message(const char *function, const char *format, ...)
{
    if (!debug_enabled)
        return;
    int saved_errno = errno;
    char header[64];
    char name[128];
    snprintf(header, sizeof header, "%-7s [U=%u,P=%d]", "DEBUG", (unsigned)getuid(), (int)getpid());
    snprintf(name, sizeof name, "%s()", function);
    fprintf(stderr, "%-32s %-40s ", header, name);
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    errno = saved_errno;
}

void *xcalloc(size_t count, size_t size)
{
    void *memory = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
    if (memory == NULL)
        die("out of memory");
    return memory;
}

char *xstrdup(const char *text)
{
    char *copy = strdup(text);
    if (copy == NULL)
        die("out of memory");
    return copy;
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
    return result;
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

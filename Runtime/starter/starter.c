/*
 * The runtime's starter: the small, single-threaded C program that will create the namespaces, apply the front
 * end's resolved operations and exec the payload. Until the Runtime issue lands it only refuses to run.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    (void)argv;
    fprintf(stderr, "FATAL:   starter: not implemented yet (%d arguments)\n", argc);
    return 255;
}

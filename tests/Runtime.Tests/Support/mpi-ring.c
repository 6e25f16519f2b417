/*
 * Test helper (built by the MPI tests with mpicc, run as 4 ranks inside the busybox test image with the host's Open MPI
 * libraries bound in): a token and a 1 MiB block passed around a ring (the block goes through the shared-memory
 * single-copy path, CMA), then each rank prints its user namespace.
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static char block[1 << 20];
int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char ns[64] = "";
    if (readlink("/proc/self/ns/user", ns, sizeof ns - 1) < 0) strcpy(ns, "?");
    int token = 0;
    if (rank == 0) {
        memset(block, 'r', sizeof block);
        MPI_Send(&token, 1, MPI_INT, 1 % size, 0, MPI_COMM_WORLD);
        MPI_Send(block, sizeof block, MPI_CHAR, 1 % size, 1, MPI_COMM_WORLD);
        MPI_Recv(&token, 1, MPI_INT, size - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Recv(block, sizeof block, MPI_CHAR, size - 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
        MPI_Recv(&token, 1, MPI_INT, rank - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Recv(block, sizeof block, MPI_CHAR, rank - 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        token++;
        MPI_Send(&token, 1, MPI_INT, (rank + 1) % size, 0, MPI_COMM_WORLD);
        MPI_Send(block, sizeof block, MPI_CHAR, (rank + 1) % size, 1, MPI_COMM_WORLD);
    }
    printf("rank %d of %d: %s\n", rank, size, ns);
    if (rank == 0)
        printf("ring: token %d after %d ranks, block %s\n", token, size, block[sizeof block - 1] == 'r' ? "intact" : "corrupt");
    MPI_Finalize();
    return 0;
}

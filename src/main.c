/* main.c - the cryptic-bench program. Everything lives in cli/. */
#include <malloc.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    /* glibc gives each thread that allocates its own malloc arena; with a
     * dozen threads (a worker per model, the server's pool) their half-used
     * heaps were a third of the peak RSS of `evaluate` (docs/benchmarks.md).
     * The threads wait on the network, not on malloc: two arenas are
     * enough. */
    mallopt(M_ARENA_MAX, 2);
    return cli_main(argc, argv);
}

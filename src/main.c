/* main.c - the cryptic-bench program. Everything lives in cli/. */
#include <malloc.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    /* glibc gives each thread that allocates its own malloc arena; with a
     * dozen threads (a worker per model, the server's pool) their half-used
     * heaps were a third of the peak RSS of `evaluate` (docs/benchmarks.md).
     * The threads wait on the network, not on malloc: one arena is enough.
     * Fixed mmap and trim thresholds (glibc's defaults, which setting them
     * keeps from growing): otherwise the first free of a large block (the
     * answer extractor's 600 KB of tables per reply) raises the mmap
     * threshold and the next ones come from the heap, memset and kept,
     * where an mmap'ed calloc touches only the pages used. */
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    return cli_main(argc, argv);
}

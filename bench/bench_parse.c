/*
 * bench_parse.c - how fast post pages are read: every page of the given
 * folders (default tests/fixtures/posts and the shared corpus), parsed and
 * validated ROUNDS times. Prints pages per second, MB per second and the
 * peak resident memory.
 *
 *   ./build/bench_parse [ROUNDS] [FOLDER...]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/buf.h"
#include "scrape/post.h"

struct page {
    char *name;
    struct buf html;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t load_folder(const char *dir, struct page *pages, size_t n, size_t max)
{
    DIR *d = opendir(dir);
    if (!d)
        return n;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".html") != 0 || strncmp(e->d_name, "bad-", 4) == 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct err err;
        buf_init(&pages[n].html, 16u << 20);
        if (buf_read_file(&pages[n].html, path, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            continue;
        }
        pages[n].name = strdup(path);
        n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 200;
    if (rounds <= 0)
        rounds = 200;
    static struct page pages[256];
    size_t n = 0;
    if (argc > 2) {
        for (int i = 2; i < argc; i++)
            n = load_folder(argv[i], pages, n, 256);
    } else {
        const char *dirs[] = {"tests/fixtures/posts", "../shared/corpus/fifteensquared",
                              "../shared/corpus/fifteensquared-generated"};
        for (size_t i = 0; i < 3; i++)
            n = load_folder(dirs[i], pages, n, 256);
    }
    if (n == 0) {
        fprintf(stderr, "bench_parse: no pages found (run from the repository root)\n");
        return 1;
    }
    size_t bytes = 0, clues = 0;
    for (size_t i = 0; i < n; i++)
        bytes += pages[i].html.len;
    double start = now_s();
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++) {
            struct scrape_puzzle *p = NULL;
            struct err err;
            if (scrape_post_parse(pages[i].html.data, pages[i].html.len, NULL, &p, &err) == 0) {
                scrape_puzzle_validate(p, 0, &err);
                if (r == 0)
                    clues += p->nclues;
                scrape_puzzle_free(p);
            }
        }
    }
    double elapsed = now_s() - start;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double total_pages = (double)n * rounds;
    printf("bench_parse: %zu pages (%zu clues, %.1f KB) x %d rounds in %.2f s\n", n, clues,
           (double)bytes / 1024, rounds, elapsed);
    printf("  %.0f pages/s, %.1f MB/s, %.1f us/page, peak RSS %.1f MB\n", total_pages / elapsed,
           (double)bytes * rounds / elapsed / 1e6, elapsed / total_pages * 1e6,
           (double)ru.ru_maxrss / 1024);
    for (size_t i = 0; i < n; i++) {
        free(pages[i].name);
        buf_free(&pages[i].html);
    }
    return 0;
}

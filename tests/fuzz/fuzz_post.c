/*
 * fuzz_post.c - libFuzzer harness for the post-page parser: any bytes in,
 * no crash, no leak, no undefined behaviour; a parsed page is validated and
 * turned into JSON too, so every path a real page takes is exercised.
 * Seeds: tests/fixtures/posts/ (every layout, the linked-entry pages in each
 * style, the refused pages) and ../shared/corpus/ (see scripts/fuzz).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "scrape/post.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scrape_puzzle *p = NULL;
    struct err err;
    if (scrape_post_parse((const char *)data, size, NULL, &p, &err) == 0) {
        scrape_puzzle_validate(p, 0, &err);
        json_t *json = scrape_puzzle_to_json(p);
        char *text = json_dumps(json, JSON_COMPACT);
        free(text);
        json_decref(json);
        scrape_puzzle_free(p);
    }
    return 0;
}

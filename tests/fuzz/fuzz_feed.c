/*
 * fuzz_feed.c - libFuzzer harness for the RSS feed parser and the title
 * reader it feeds: any bytes in, no crash, no leak, no undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>

#include "scrape/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scrape_feed feed;
    struct err err;
    if (scrape_feed_parse((const char *)data, size, &feed, &err) == 0) {
        for (size_t i = 0; i < feed.n; i++) {
            int64_t number;
            scrape_feed_item_series(&feed.items[i], &number);
        }
        scrape_feed_free(&feed);
    }
    return 0;
}

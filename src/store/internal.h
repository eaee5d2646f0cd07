/*
 * internal.h - what the files of store/ share: the connection. Not for use
 * outside store/ (its unit tests and benches excepted, which seed and
 * inspect a database directly): every other module asks store/ for what it
 * needs (store.h), so no SQL runs anywhere else.
 */
#ifndef CB_STORE_INTERNAL_H
#define CB_STORE_INTERNAL_H

#include "db/db.h"
#include "store/store.h"

/* The store's connection; owned by the store. */
struct db *store_db(struct store *store);

#endif

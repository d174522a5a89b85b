/* The intake log's hashing (gridpoints.stores.intakes) the native writers share: writer.c (rows
 * into SQLite) and checked.c (rows into its in-memory store) — each event row's event_line kept
 * with its id, and the intake row's digest and chained hash over them.
 */
#ifndef GRIDPOINTS_NATIVE_INTAKE_H
#define GRIDPOINTS_NATIVE_INTAKE_H

#include <stdlib.h>
#include <string.h>

#include "text.h"

/* One event row's event_line, kept to hash the intake's digest in event-id order. */
typedef struct {
    const char *id; /* the id's UTF-8, owned by the caller */
    size_t id_len;
    unsigned char line[SHA256_DIGEST_LENGTH];
} Line;

/* Event ids in Python's str order: code point order is the byte order of their UTF-8. */
static inline int by_id(const void *a, const void *b) {
    const Line *left = a, *right = b;
    size_t common = left->id_len < right->id_len ? left->id_len : right->id_len;
    int order = memcmp(left->id, right->id, common);
    if (order) return order;
    return (left->id_len > right->id_len) - (left->id_len < right->id_len);
}

/* The intake row of `count` lines (sorted here), as IntakeLog.row() makes it: digest = SHA-256 over
 * "gpi1" and the lines in event-id order; hash = SHA-256(prev ‖ 0x1E ‖ "gpi1␟seq␟count␟digest"), both
 * as 64 hex digits. text is scratch. -1 (no Python error set) when memory runs out. */
static inline int intake_row(Line *lines, size_t count, const char *prev, long long seq, Text *text,
                             char *digest_hex, char *hash_hex) {
    qsort(lines, count, sizeof(Line), by_id);
    SHA256_CTX sha;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_Init(&sha);
    SHA256_Update(&sha, "gpi1", 4);
    for (size_t i = 0; i < count; i++) SHA256_Update(&sha, lines[i].line, sizeof lines[i].line);
    SHA256_Final(digest, &sha);
    hex(digest, digest_hex);
    text->len = 0;
    if (text_add(text, prev, 64) < 0 || text_add(text, "\x1egpi1\x1f", 6) < 0 || text_int(text, seq) < 0 ||
        text_add(text, "\x1f", 1) < 0 || text_int(text, (long long)count) < 0 || text_add(text, "\x1f", 1) < 0 ||
        text_add(text, digest_hex, 64) < 0)
        return -1;
    sha256_bytes(text->data, text->len, digest);
    hex(digest, hash_hex);
    return 0;
}

#endif

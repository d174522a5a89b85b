/* The intake log's bytes (gridpoints.stores.intakes), shared by the instruments that write or
 * read it natively: an event row's event_line text column, the lines sorted by event id, and the
 * intake row's digest and chained hash.
 *
 * Included after text.h by writer.c (rows into SQLite), pgcopy.c (rows into PostgreSQL), checked.c
 * (rows into its in-memory store) and verify.c (static inline: what one of them does not use costs
 * it nothing).
 */
#ifndef GRIDPOINTS_NATIVE_INTAKE_H
#define GRIDPOINTS_NATIVE_INTAKE_H

#include <stdlib.h>
#include <string.h>

#include "text.h"

/* gridpoints.schema.GENESIS: the prev_hash of the first entry and of the first intake. */
#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* A head as the stores read it: (seq, hash) of the last entry, or of the last intake row. */
typedef struct {
    long long seq;
    char hash[65];
} Head;

/* "<length in characters>:<text>", as event_line writes a text column: len() of a str counts
 * code points, which in UTF-8 are the bytes that do not continue a character. -1 (no Python
 * error set) when memory runs out. */
static inline int text_counted(Text *t, const unsigned char *bytes, size_t len) {
    long long characters = 0;
    for (size_t i = 0; i < len; i++) characters += (bytes[i] & 0xC0) != 0x80;
    if (text_int(t, characters) < 0 || text_add(t, ":", 1) < 0) return -1;
    return text_add(t, bytes, len);
}

/* One event row's event_line, kept to hash the intake's digest in event-id order. */
typedef struct {
    const char *id; /* the id's UTF-8, owned by whoever holds the row */
    size_t id_len;
    unsigned char line[SHA256_DIGEST_LENGTH];
} Line;

/* Event ids in Python's str order: code point order is the byte order of their UTF-8. */
static inline int line_by_id(const void *a, const void *b) {
    const Line *left = a, *right = b;
    size_t common = left->id_len < right->id_len ? left->id_len : right->id_len;
    int order = memcmp(left->id, right->id, common);
    if (order) return order;
    return (left->id_len > right->id_len) - (left->id_len < right->id_len);
}

/* The intake row's chained hash after `head`: SHA-256(prev ‖ 0x1E ‖ "<format>␟seq␟count␟digest")
 * as 64 hex digits and a NUL into hash_hex (format: "gpi1", or a trial's 4-letter tag). `scratch`
 * is any buffer; -1 (no Python error set) when memory runs out. */
static inline int intake_chained(const char *format, const Head *head, size_t count, const char digest_hex[64],
                                 Text *scratch, char hash_hex[65]) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    scratch->len = 0;
    if (text_add(scratch, head->hash, 64) < 0 || text_add(scratch, "\x1e", 1) < 0 || text_add(scratch, format, 4) < 0 ||
        text_add(scratch, "\x1f", 1) < 0 || text_int(scratch, head->seq + 1) < 0 || text_add(scratch, "\x1f", 1) < 0 ||
        text_int(scratch, (long long)count) < 0 || text_add(scratch, "\x1f", 1) < 0 ||
        text_add(scratch, digest_hex, 64) < 0)
        return -1;
    sha256_bytes(scratch->data, scratch->len, digest);
    hex(digest, hash_hex);
    hash_hex[64] = '\0';
    return 0;
}

/* The intake row of `count` lines (sorted here), as IntakeLog.row() makes it after `head`:
 * digest = SHA-256 over "gpi1" and the lines in event-id order; hash = SHA-256(prev ‖ 0x1E ‖
 * "gpi1␟seq␟count␟digest"); both as 64 hex digits and a NUL into digest_hex and hash_hex.
 * `scratch` is any buffer; -1 (no Python error set) when memory runs out. */
static inline int intake_row(Line *lines, size_t count, const Head *head, Text *scratch, char digest_hex[65],
                             char hash_hex[65]) {
    qsort(lines, count, sizeof(Line), line_by_id);
    SHA256_CTX sha;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_Init(&sha);
    SHA256_Update(&sha, "gpi1", 4);
    for (size_t i = 0; i < count; i++) SHA256_Update(&sha, lines[i].line, sizeof lines[i].line);
    SHA256_Final(digest, &sha);
    hex(digest, digest_hex);
    digest_hex[64] = '\0';
    return intake_chained("gpi1", head, count, digest_hex, scratch, hash_hex);
}

#endif

/* Helpers the native-core instruments share: a growable byte buffer (Text), decimal integers
 * written into it, SHA-256 digests as lowercase hex, a monotonic clock in seconds.
 *
 * Included by skeleton.c, writer.c and verify.c (static inline: what one of them does not use
 * costs it nothing). compiling.build() hashes this header with each instrument's
 * source, so a change here rebuilds them.
 */
#ifndef GRIDPOINTS_NATIVE_TEXT_H
#define GRIDPOINTS_NATIVE_TEXT_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *data;
    size_t len, cap;
} Text;

/* Append n bytes; -1 (nothing appended, no Python error set) when memory runs out. */
static inline int text_add(Text *t, const void *bytes, size_t n) {
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 512;
        while (cap < t->len + n) cap *= 2;
        char *grown = realloc(t->data, cap);
        if (!grown) return -1;
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, bytes, n);
    t->len += n;
    return 0;
}

/* A whole number as Python's str(int) writes it, written backwards ending at end (room for 21
 * characters before it); returns where it starts. */
static inline char *decimal_digits(long long value, char *end) {
    char *p = end;
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do { *--p = (char)('0' + magnitude % 10); magnitude /= 10; } while (magnitude);
    if (value < 0) *--p = '-';
    return p;
}

/* A whole number as Python's str(int) writes it. */
static inline int text_int(Text *t, long long value) {
    char digits[24];
    char *end = digits + sizeof digits, *p = decimal_digits(value, end);
    return text_add(t, p, (size_t)(end - p));
}

/* A SHA-256 digest (32 bytes) as the 64 lowercase hex digits hashlib's hexdigest() gives. */
static inline void hex(const unsigned char *digest, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 15];
    }
}

static inline double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

#endif

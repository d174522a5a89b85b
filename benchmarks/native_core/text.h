/* Helpers the native-core instruments share: a growable byte buffer (Text), decimal integers
 * written into it, JSON strings escaped, SHA-256 digests as lowercase hex, a monotonic clock in seconds.
 *
 * Included by skeleton.c, columns.c, checked.c, pgcopy.c, writer.c and verify.c (directly or through
 * columns.h and intake.h; static inline: what one of them does not use costs it nothing). compiling.build() hashes this header with each instrument's
 * source, so a change here rebuilds them.
 */
#ifndef GRIDPOINTS_NATIVE_TEXT_H
#define GRIDPOINTS_NATIVE_TEXT_H

#include <openssl/sha.h> /* after the includer's OPENSSL_SUPPRESS_DEPRECATED: SHA256_Init & co */
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *data;
    size_t len, cap;
} Text;

/* Room for n more bytes, so that as many can be added without growing; -1 (nothing changed, no
 * Python error set) when memory runs out. */
static inline int text_reserve(Text *t, size_t n) {
    if (t->cap - t->len >= n) return 0;
    size_t cap = t->cap ? t->cap : 512;
    while (cap < t->len + n) cap *= 2;
    char *grown = realloc(t->data, cap);
    if (!grown) return -1;
    t->data = grown;
    t->cap = cap;
    return 0;
}

/* Append n bytes; -1 (nothing appended, no Python error set) when memory runs out. */
static inline int text_add(Text *t, const void *bytes, size_t n) {
    if (text_reserve(t, n) < 0) return -1;
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

/* Room json_escape may need for n bytes: each byte six at most (\u00XX), and the two quotes. */
#define JSON_ESCAPED_MAX(n) (6 * (n) + 2)

/* A JSON string as json.encoder.encode_basestring writes it (ensure_ascii=False), quotes
 * included, into out (JSON_ESCAPED_MAX(n) bytes of room): runs of plain bytes copied at once,
 * quotes, backslashes and control characters escaped. Returns the bytes written. */
static inline size_t json_escape(const char *s, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    char *p = out;
    *p++ = '"';
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        memcpy(p, s + run, i - run);
        p += i - run;
        run = i + 1;
        const char *escape = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                           : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
        if (escape) {
            memcpy(p, escape, 2);
            p += 2;
        } else {
            char code[6] = {'\\', 'u', '0', '0', digits[c >> 4], digits[c & 15]};
            memcpy(p, code, 6);
            p += 6;
        }
    }
    memcpy(p, s + run, n - run);
    p += n - run;
    *p++ = '"';
    return (size_t)(p - out);
}

/* The SHA-256 of n bytes, its 32-byte digest into out. */
static inline void sha256_bytes(const void *bytes, size_t n, unsigned char out[SHA256_DIGEST_LENGTH]) {
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, bytes, n);
    SHA256_Final(out, &sha);
}

static inline double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

#endif

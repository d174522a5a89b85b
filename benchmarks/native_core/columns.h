/* What columns.c's pass reads and leaves, shared with the instruments that read its arenas
 * (pgcopy.c): the packed input columns, the tail cache, the booked records, the day labels.
 *
 * Included after Python.h, text.h and civil.h. columns.c owns the arenas (a capsule named
 * ARENAS_CAPSULE frees them); a reader holds a reference to the capsule while it reads them.
 */
#ifndef GRIDPOINTS_NATIVE_COLUMNS_H
#define GRIDPOINTS_NATIVE_COLUMNS_H

#include <stdint.h>

#define ARENAS_CAPSULE "columns.arenas"

/* A text column: n values, value i the bytes [offsets[i], offsets[i + 1]) of data. */
typedef struct {
    const char *data;
    const int64_t *offsets;
    const unsigned char *present; /* NULL: every value present */
    Py_ssize_t n;
} Column;

static inline const char *column_at(const Column *c, Py_ssize_t i, size_t *len) {
    *len = (size_t)(c->offsets[i + 1] - c->offsets[i]);
    return c->data + c->offsets[i];
}

/* (data, offsets[, present]) bytes objects as a column of n values, their sizes checked. */
static inline int column_from(PyObject *tuple, Py_ssize_t n, Column *c, const char *what) {
    PyObject *data, *offsets, *present = NULL;
    if (!PyArg_ParseTuple(tuple, "SS|S", &data, &offsets, &present)) return -1;
    if (n < 0) n = PyBytes_GET_SIZE(offsets) / 8 - 1;
    c->n = n;
    c->data = PyBytes_AS_STRING(data);
    c->offsets = (const int64_t *)PyBytes_AS_STRING(offsets);
    c->present = present ? (const unsigned char *)PyBytes_AS_STRING(present) : NULL;
    if (n < 0 || PyBytes_GET_SIZE(offsets) != (n + 1) * 8 || (present && PyBytes_GET_SIZE(present) != n) ||
        c->offsets[0] != 0 || c->offsets[n] != PyBytes_GET_SIZE(data)) {
        PyErr_Format(PyExc_ValueError, "the %s column is not %zd values", what, n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (c->offsets[i + 1] < c->offsets[i]) {
            PyErr_Format(PyExc_ValueError, "the %s column's offsets go backwards", what);
            return -1;
        }
    return 0;
}

/* A fixed-width column: n items of size bytes. */
static inline const void *array_from(PyObject *bytes, Py_ssize_t n, size_t size, const char *what) {
    if (!PyBytes_Check(bytes) || PyBytes_GET_SIZE(bytes) != n * (Py_ssize_t)size) {
        PyErr_Format(PyExc_ValueError, "the %s column is not %zd items of %zu bytes", what, n, size);
        return NULL;
    }
    return PyBytes_AS_STRING(bytes);
}

/* The tail cache: (member, rule, month, quantity) → the entry's points and texts, as the
 * skeleton's Python dict of _tail's answers. Texts live in one arena. */
typedef struct {
    int32_t member, rule, month;
    int64_t quantity;
} TailKey;

typedef struct {
    TailKey key;
    int64_t cents;
    size_t coefficient, quantity, tail, end; /* offsets into the texts arena */
} Tail;

typedef struct {
    Tail *tails;
    size_t count, cap;
    int32_t *slots; /* indices into tails, -1 free */
    size_t mask;
    Text texts;
} TailCache;

/* One booked event: its entry and its event row, by reference into the inputs, the tail cache
 * and the payload arena. */
typedef struct {
    int64_t seq;
    int32_t event, rule, tail;
    int32_t local_days;
    size_t payload, payload_end;
    char hash[64];
} Booked;

/* What a pass leaves for materialize(): freed with the capsule. */
typedef struct {
    Booked *booked;
    size_t booked_count, booked_cap;
    Text payloads;
    TailCache tails;
    unsigned char *outcome;  /* per event, columns.c's outcome enum */
    int32_t *conflict_with;  /* per event: the known id's index for STORED_CONFLICT */
    Py_ssize_t events;
} Arenas;

/* The local date's labels: "YYYY-MM-DD" (the month its first 7 characters; years 1 to 9999,
 * what a datetime holds), written digit by digit: snprintf's parsing costs more than the rest
 * of the labels. Its month as year * 12 + month - 1 in *month. */
static inline void date_label(long long days, char *out, int32_t *month) {
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    out[0] = (char)('0' + y / 1000 % 10), out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10), out[3] = (char)('0' + y % 10), out[4] = '-';
    out[5] = (char)('0' + m / 10), out[6] = (char)('0' + m % 10), out[7] = '-';
    out[8] = (char)('0' + d / 10), out[9] = (char)('0' + d % 10), out[10] = '\0';
    if (month) *month = y * 12 + m - 1;
}

#endif

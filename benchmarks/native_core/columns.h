/* What the per-event cores over columns share (columns.c, checked.c), and what the instruments
 * that read columns.c's arenas need of them (pgcopy.c): the packed input read and checked (Input),
 * C hash sets over id columns, the tail cache, the per-event steps — the canonical payload,
 * admission, the local day and its labels, an entry's points and tail, its chained hash — and the
 * booked records a columns pass leaves (Booked, Arenas, in a capsule named ARENAS_CAPSULE).
 *
 * static functions in a header: each core is one translation unit (compiling.build() compiles one
 * source file and hashes the headers with it). columns.c owns the arenas (the capsule frees
 * them); a reader holds a reference to the capsule while it reads them.
 */
#ifndef GRIDPOINTS_NATIVE_COLUMNS_H
#define GRIDPOINTS_NATIVE_COLUMNS_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "civil.h"
#include "text.h"

/* What became of one event (materialize() reports it as a byte per event). */
enum { BOOKED, DUPLICATE, UNKNOWN_MEMBER, INVALID, UNKNOWN_KIND, NO_MATCHING_RULE, STORED_CONFLICT, CALL_CONFLICT };

static inline int add_or_fail(Text *t, const void *bytes, size_t n) {
    if (text_add(t, bytes, n) < 0) { PyErr_NoMemory(); return -1; }
    return 0;
}

/* Room for n more bytes without growing on the way. */
static inline int reserve(Text *t, size_t n) {
    if (text_reserve(t, n) < 0) { PyErr_NoMemory(); return -1; }
    return 0;
}

static inline int add_int(Text *t, long long value) {
    if (text_int(t, value) < 0) { PyErr_NoMemory(); return -1; }
    return 0;
}

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

static inline uint64_t hash_bytes(const char *s, size_t n) { /* FNV-1a, then mixed: linear probing wants low bits spread */
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

/* A set of ids (indices into a column), open addressing; -1 marks a free slot. */
typedef struct {
    int32_t *slots;
    size_t mask;
} IdSet;

static inline int idset_init(IdSet *set, Py_ssize_t expected) {
    size_t cap = 16;
    while (cap < (size_t)expected * 2) cap *= 2;
    set->slots = malloc(cap * sizeof *set->slots);
    if (!set->slots) { PyErr_NoMemory(); return -1; }
    memset(set->slots, 0xff, cap * sizeof *set->slots);
    set->mask = cap - 1;
    return 0;
}

/* The slot of id (s, n) among column's values: its index there, or -1 where it would go. */
static inline size_t idset_find(const IdSet *set, const Column *column, const char *s, size_t n) {
    size_t at = hash_bytes(s, n) & set->mask;
    for (;; at = (at + 1) & set->mask) {
        int32_t index = set->slots[at];
        if (index < 0) return at;
        size_t len;
        const char *other = column_at(column, index, &len);
        if (len == n && memcmp(other, s, n) == 0) return at;
    }
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

static inline uint64_t hash_key(const TailKey *k) {
    uint64_t h = (uint64_t)k->member * 0x9E3779B97F4A7C15ULL ^ (uint64_t)k->rule * 0xC2B2AE3D27D4EB4FULL ^
                 (uint64_t)k->month * 0x165667B19E3779F9ULL ^ (uint64_t)k->quantity * 0x27D4EB2F165667C5ULL;
    return h ^ (h >> 31);
}

static inline size_t tails_slot(const TailCache *c, const TailKey *k) {
    size_t at = hash_key(k) & c->mask;
    for (;; at = (at + 1) & c->mask) {
        int32_t index = c->slots[at];
        if (index < 0) return at;
        const TailKey *other = &c->tails[index].key;
        if (other->member == k->member && other->rule == k->rule && other->month == k->month &&
            other->quantity == k->quantity)
            return at;
    }
}

/* Room for one more tail: the slots grow at half full, rehashing what they hold. */
static inline int tails_reserve(TailCache *c) {
    if (c->count + 1 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        Tail *grown = realloc(c->tails, cap * sizeof *grown);
        if (!grown) { PyErr_NoMemory(); return -1; }
        c->tails = grown;
        c->cap = cap;
    }
    if (c->slots && (c->count + 1) * 2 <= c->mask + 1) return 0;
    size_t slots = c->slots ? (c->mask + 1) * 2 : 1024;
    int32_t *fresh = malloc(slots * sizeof *fresh);
    if (!fresh) { PyErr_NoMemory(); return -1; }
    memset(fresh, 0xff, slots * sizeof *fresh);
    free(c->slots);
    c->slots = fresh;
    c->mask = slots - 1;
    for (size_t i = 0; i < c->count; i++) c->slots[tails_slot(c, &c->tails[i].key)] = (int32_t)i;
    return 0;
}

static inline int text_add_str(Text *t, PyObject *text) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (!s) return -1;
    if (text_add(t, s, (size_t)n) < 0) { PyErr_NoMemory(); return -1; }
    return 0;
}

/* tail_for(member id, rule index, month, quantity) → (cents, coefficient, quantity, tail),
 * stored in the cache as the slot's tail. */
static inline int tails_add(TailCache *c, size_t slot, const TailKey *key, PyObject *tail_for, const Column *members,
                     const char *month) {
    size_t len;
    const char *name = column_at(members, key->member, &len);
    PyObject *answer = PyObject_CallFunction(tail_for, "s#is#L", name, (Py_ssize_t)len, key->rule, month,
                                             (Py_ssize_t)7, (long long)key->quantity);
    if (!answer) return -1;
    Tail tail = {.key = *key};
    int status = -1;
    if (!PyTuple_Check(answer) || PyTuple_GET_SIZE(answer) != 4) {
        PyErr_SetString(PyExc_TypeError, "tail_for returns (cents, coefficient, quantity, tail)");
        goto done;
    }
    tail.cents = PyLong_AsLongLong(PyTuple_GET_ITEM(answer, 0));
    if (tail.cents == -1 && PyErr_Occurred()) goto done;
    tail.coefficient = c->texts.len;
    if (text_add_str(&c->texts, PyTuple_GET_ITEM(answer, 1)) < 0) goto done;
    tail.quantity = c->texts.len;
    if (text_add_str(&c->texts, PyTuple_GET_ITEM(answer, 2)) < 0) goto done;
    tail.tail = c->texts.len;
    if (text_add_str(&c->texts, PyTuple_GET_ITEM(answer, 3)) < 0) goto done;
    tail.end = c->texts.len;
    if (tails_reserve(c) < 0) goto done;
    slot = tails_slot(c, key); /* the slots may have grown */
    c->tails[c->count] = tail;
    c->slots[slot] = (int32_t)c->count++;
    status = 0;
done:
    Py_DECREF(answer);
    return status;
}

/* The tail cache as a list of (cents, coefficient, quantity, tail), for tests' materialize. */
static inline PyObject *tails_list(const TailCache *c) {
    PyObject *tails = PyList_New((Py_ssize_t)c->count);
    for (size_t t = 0; tails && t < c->count; t++) {
        const Tail *tail = &c->tails[t];
        const char *texts = c->texts.data;
        PyObject *item = Py_BuildValue("(Ls#s#s#)", (long long)tail->cents, texts + tail->coefficient,
                                       (Py_ssize_t)(tail->quantity - tail->coefficient), texts + tail->quantity,
                                       (Py_ssize_t)(tail->tail - tail->quantity), texts + tail->tail,
                                       (Py_ssize_t)(tail->end - tail->tail));
        if (!item) Py_CLEAR(tails);
        else PyList_SET_ITEM(tails, (Py_ssize_t)t, item);
    }
    return tails;
}

/* One booked event of a columns pass: its entry and its event row, by reference into the inputs,
 * the tail cache and the payload arena. */
typedef struct {
    int64_t seq;
    int32_t event, rule, tail;
    int32_t local_days;
    size_t payload, payload_end;
    char hash[64];
} Booked;

/* What a columns pass leaves (for materialize(), and for pgcopy.c to read): freed with the
 * capsule named ARENAS_CAPSULE. */
#define ARENAS_CAPSULE "columns.arenas"
typedef struct {
    Booked *booked;
    size_t booked_count, booked_cap;
    Text payloads;
    TailCache tails;
    unsigned char *outcome;  /* per event, the outcome enum above */
    int32_t *conflict_with;  /* per event: the known id's index for STORED_CONFLICT */
    Py_ssize_t events;
} Arenas;

/* The attribute columns of a call, each with its key as canonical JSON writes it ("key":). */
#define MAX_ATTRIBUTES 8
typedef struct {
    Column columns[MAX_ATTRIBUTES];
    char keys[MAX_ATTRIBUTES][128];
    size_t key_len[MAX_ATTRIBUTES];
    Py_ssize_t count;
} Attributes;

/* A call's packed events and the engine's tables, read from
 * events = (n, ids, members, kinds, micros, quantities, attributes) and
 * tables = (member_names, kind_names, kind_rules, rule_index, rule_attribute, rule_values, zone_starts,
 *           zone_offsets).
 *
 * ids, member_names, kind_names, rule_values: (data, offsets) text columns; attributes: a tuple of
 * (key, data, offsets, present) in sorted key order; members, kinds: int32 per event (-1 unknown);
 * micros, quantities: int64 per event; kind_rules: int32 per kind + 1, where each kind's rules start
 * in the rule columns (in matching order); rule_index: the rule's index for tail_for and the rule
 * metadata; rule_attribute: the attribute column it compares (-1 none: it always matches; -2 one no
 * event carries: it never matches); zone_starts / zone_offsets: int64 µs, the UTC instant each
 * offset starts at (ascending; the first covers everything before). */
typedef struct {
    Py_ssize_t n;
    Column ids, member_names, kind_names, rule_values;
    const int32_t *members, *kinds, *kind_rules, *rule_index, *rule_attribute;
    const int64_t *micros, *quantities, *zone_starts, *zone_offsets;
    Py_ssize_t kind_count, rule_count, zones;
    Attributes attributes;
} Input;

static inline int attributes_from(PyObject *attributes_t, Py_ssize_t n, Attributes *a) {
    a->count = PyTuple_GET_SIZE(attributes_t);
    if (a->count > MAX_ATTRIBUTES) {
        PyErr_SetString(PyExc_NotImplementedError, "columns: at most 8 attribute columns");
        return -1;
    }
    for (Py_ssize_t i = 0; i < a->count; i++) {
        PyObject *item = PyTuple_GET_ITEM(attributes_t, i), *key, *data, *offsets, *present;
        if (!PyArg_ParseTuple(item, "SSSS", &key, &data, &offsets, &present)) return -1;
        PyObject *column = PyTuple_Pack(3, data, offsets, present);
        if (!column) return -1;
        int status = column_from(column, n, &a->columns[i], "attribute");
        Py_DECREF(column);
        if (status < 0) return -1;
        if (JSON_ESCAPED_MAX(PyBytes_GET_SIZE(key)) + 1 > (Py_ssize_t)sizeof a->keys[i]) {
            PyErr_SetString(PyExc_NotImplementedError, "columns: attribute names of at most 20 bytes");
            return -1;
        }
        a->key_len[i] = json_escape(PyBytes_AS_STRING(key), (size_t)PyBytes_GET_SIZE(key), a->keys[i]);
        a->keys[i][a->key_len[i]++] = ':';
    }
    return 0;
}

static inline int input_from(PyObject *events, PyObject *tables, Input *in) {
    PyObject *ids_t, *members_b, *kinds_b, *micros_b, *quantities_b, *attributes_t, *member_names_t, *kind_names_t;
    PyObject *kind_rules_b, *rule_index_b, *rule_attribute_b, *rule_values_t, *zone_starts_b, *zone_offsets_b;
    if (!PyArg_ParseTuple(events, "nO!SSSSO!", &in->n, &PyTuple_Type, &ids_t, &members_b, &kinds_b, &micros_b,
                          &quantities_b, &PyTuple_Type, &attributes_t) ||
        !PyArg_ParseTuple(tables, "O!O!SSSO!SS", &PyTuple_Type, &member_names_t, &PyTuple_Type, &kind_names_t,
                          &kind_rules_b, &rule_index_b, &rule_attribute_b, &PyTuple_Type, &rule_values_t,
                          &zone_starts_b, &zone_offsets_b))
        return -1;
    Py_ssize_t n = in->n;
    if (n < 0 || n > INT32_MAX) { /* the sets and records hold event indices as int32 */
        PyErr_SetString(PyExc_ValueError, "columns: 0 to 2**31 - 1 events a call");
        return -1;
    }
    if (column_from(ids_t, n, &in->ids, "id") < 0 || column_from(member_names_t, -1, &in->member_names, "member name") < 0 ||
        column_from(kind_names_t, -1, &in->kind_names, "kind name") < 0 ||
        column_from(rule_values_t, -1, &in->rule_values, "rule value") < 0 ||
        attributes_from(attributes_t, n, &in->attributes) < 0)
        return -1;
    in->kind_count = in->kind_names.n;
    in->rule_count = PyBytes_GET_SIZE(rule_index_b) / 4;
    in->zones = PyBytes_GET_SIZE(zone_starts_b) / 8;
    in->members = array_from(members_b, n, 4, "member");
    in->kinds = array_from(kinds_b, n, 4, "kind");
    in->micros = array_from(micros_b, n, 8, "instant");
    in->quantities = array_from(quantities_b, n, 8, "quantity");
    in->kind_rules = array_from(kind_rules_b, in->kind_count + 1, 4, "kind rules");
    in->rule_index = array_from(rule_index_b, in->rule_count, 4, "rule index");
    in->rule_attribute = array_from(rule_attribute_b, in->rule_count, 4, "rule attribute");
    in->zone_starts = array_from(zone_starts_b, in->zones, 8, "zone start");
    in->zone_offsets = array_from(zone_offsets_b, in->zones, 8, "zone offset");
    if (!in->members || !in->kinds || !in->micros || !in->quantities || !in->kind_rules || !in->rule_index ||
        !in->rule_attribute || !in->zone_starts || !in->zone_offsets)
        return -1;
    if (in->zones < 1 || in->rule_values.n != in->rule_count || in->kind_rules[0] != 0 ||
        in->kind_rules[in->kind_count] != in->rule_count) {
        PyErr_SetString(PyExc_ValueError, "the zone or rule table is malformed");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (in->members[i] < -1 || in->members[i] >= in->member_names.n || in->kinds[i] < -1 ||
            in->kinds[i] >= in->kind_count) {
            PyErr_Format(PyExc_ValueError, "event %zd's member or kind index is out of range", i);
            return -1;
        }
    for (Py_ssize_t r = 0; r < in->rule_count; r++)
        if (in->rule_attribute[r] < -2 || in->rule_attribute[r] >= in->attributes.count) {
            PyErr_Format(PyExc_ValueError, "rule %zd's attribute column is out of range", r);
            return -1;
        }
    return 0;
}

/* The canonical payload of event i (member and kind known) appended to payload: member, kind,
 * instant, quantity, reported ("") and the attributes' compact JSON. *value_at / *value_len: where
 * attribute column `wanted`'s JSON value lies in payload (*value_len 0: absent or wanted < 0). */
static inline int payload_into(Text *payload, const Input *in, Py_ssize_t i, Py_ssize_t wanted, size_t *value_at,
                               size_t *value_len) {
    size_t len;
    *value_at = *value_len = 0;
    const char *s = column_at(&in->member_names, in->members[i], &len);
    if (add_or_fail(payload, s, len) < 0 || add_or_fail(payload, "\x1f", 1) < 0) return -1;
    s = column_at(&in->kind_names, in->kinds[i], &len);
    if (add_or_fail(payload, s, len) < 0 || add_or_fail(payload, "\x1f", 1) < 0 ||
        add_int(payload, in->micros[i]) < 0 || add_or_fail(payload, "\x1f", 1) < 0 ||
        add_int(payload, in->quantities[i]) < 0 || add_or_fail(payload, "\x1f\x1f", 2) < 0)
        return -1;
    const Attributes *a = &in->attributes;
    int first = 1;
    for (Py_ssize_t c = 0; c < a->count; c++) {
        if (!a->columns[c].present[i]) continue;
        s = column_at(&a->columns[c], i, &len);
        if (add_or_fail(payload, first ? "{" : ",", 1) < 0 || add_or_fail(payload, a->keys[c], a->key_len[c]) < 0)
            return -1;
        first = 0;
        /* escaped straight into the buffer, room for the worst case made first */
        if (reserve(payload, JSON_ESCAPED_MAX(len)) < 0) return -1;
        size_t at = payload->len;
        payload->len += json_escape(s, len, payload->data + at);
        if (c == wanted) *value_at = at, *value_len = payload->len - at;
    }
    if (!first && add_or_fail(payload, "}", 1) < 0) return -1;
    return 0;
}

/* Admission of event i: known member, not in the future, known kind, the first matching rule
 * (into *rule). Returns the refusal's outcome code, or -1 when admitted. */
static inline int admit(const Input *in, Py_ssize_t i, long long deadline, int32_t *rule) {
    int32_t member = in->members[i], kind = in->kinds[i];
    *rule = -1;
    if (member < 0) return UNKNOWN_MEMBER;
    if (in->micros[i] > deadline) return INVALID;
    if (kind < 0) return UNKNOWN_KIND;
    for (int32_t r = in->kind_rules[kind]; r < in->kind_rules[kind + 1]; r++) {
        int32_t column = in->rule_attribute[r];
        if (column == -2) continue; /* an attribute no event carries: no event matches */
        if (column >= 0) {
            const Column *values = &in->attributes.columns[column];
            if (!values->present[i]) continue;
            size_t len, expected_len;
            const char *value = column_at(values, i, &len);
            const char *expected = column_at(&in->rule_values, r, &expected_len);
            if (len != expected_len || memcmp(value, expected, len) != 0) continue;
        }
        *rule = r;
        return -1;
    }
    return NO_MATCHING_RULE;
}

/* The UTC offset (µs) in force at an instant: binary search of the zone table. */
static inline int64_t offset_at(const Input *in, int64_t micros) {
    Py_ssize_t lo = 0, hi = in->zones - 1;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi + 1) / 2;
        if (in->zone_starts[mid] <= micros) lo = mid;
        else hi = mid - 1;
    }
    return in->zone_offsets[lo];
}

#define DAY_US 86400000000LL

/* Floor division by a day: the local day (days since 1970-01-01) of local µs. */
static inline long long days_of(long long local) {
    return local >= 0 ? local / DAY_US : -((-local + DAY_US - 1) / DAY_US);
}

/* The index in the tail cache of (member, rule, month, quantity), asking tail_for on a miss (its
 * time and the misses counted); -1 with a Python error set on failure. */
static inline int32_t tail_index(TailCache *tails, const TailKey *key, PyObject *tail_for, const Column *member_names,
                          const char *day, double *tail_seconds, long long *tail_misses) {
    if (!tails->slots && tails_reserve(tails) < 0) return -1;
    size_t slot = tails_slot(tails, key);
    if (tails->slots[slot] < 0) {
        double asked = seconds_now();
        if (tails_add(tails, slot, key, tail_for, member_names, day) < 0) return -1;
        *tail_seconds += seconds_now() - asked;
        (*tail_misses)++;
        slot = tails_slot(tails, key);
    }
    return tails->slots[slot];
}

/* An entry's canonical text after the previous hash (prev ‖ 0x1E ‖ gp1 ␟ seq ␟ member ␟ id ␟
 * kind ␟ month ␟ day ␟ tail ␟ rule ␟ ref "") and its SHA-256 as hex into hash; text is scratch. */
static inline int entry_hash(Text *text, const char *prev, long long seq, const char *member, size_t member_len,
                      const char *id, size_t id_len, const char *kind, size_t kind_len, const char *day,
                      const char *tail, size_t tail_len, char *hash) {
    text->len = 0;
    if (add_or_fail(text, prev, 64) < 0 || add_or_fail(text, "\x1egp1\x1f", 5) < 0 || add_int(text, seq) < 0 ||
        add_or_fail(text, "\x1f", 1) < 0 || add_or_fail(text, member, member_len) < 0 ||
        add_or_fail(text, "\x1f", 1) < 0 || add_or_fail(text, id, id_len) < 0 || add_or_fail(text, "\x1f", 1) < 0 ||
        add_or_fail(text, kind, kind_len) < 0 || add_or_fail(text, "\x1f", 1) < 0 || add_or_fail(text, day, 7) < 0 ||
        add_or_fail(text, "\x1f", 1) < 0 || add_or_fail(text, day, 10) < 0 || add_or_fail(text, "\x1f", 1) < 0 ||
        add_or_fail(text, tail, tail_len) < 0 || add_or_fail(text, "\x1frule\x1f", 6) < 0)
        return -1;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    sha256_bytes(text->data, text->len, digest);
    hex(digest, hash);
    return 0;
}

#endif

/* The per-event core over columns: skeleton.c's pass, its input columns as a file parser would
 * give them and its output rows written into C arenas — no Python object per event either way.
 *
 * Input (columns.py packs it, untimed): the ids as one UTF-8 buffer with int64 offsets; the
 * member as an int32 index into the engine's members (-1 unknown); the kind as an int32 index
 * into the rule set's kinds (-1 unknown); the instant as int64 µs since the epoch (UTC); the
 * quantity as int64; each attribute as its own column (buffer, offsets, presence bytes). Per
 * event, in input order, the pass does what skeleton.c's run does: dedupe within the call and
 * against the ids the store knows, admission, the local day and month labels (the zone as a
 * table of UTC-offset transitions), the canonical payload, the entry's points and tail texts
 * (a C cache keyed by member, rule, month and quantity; a miss calls back into Python, as the
 * skeleton does), the entry's canonical text and its chained SHA-256. Each booked event leaves
 * one Booked record in an arena (indices into the inputs and the tail cache, its payload's
 * place in the payload arena, its hash); materialize() turns them into the skeleton's tuples,
 * for tests only.
 *
 * A measuring instrument, not a second implementation to ship. SHA-256 is OpenSSL's.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co: no provider fetch per digest */
#include <Python.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#include "civil.h"
#include "text.h"
#include "columns.h"

/* What became of one event, as materialize() reports it. */
enum { BOOKED, DUPLICATE, UNKNOWN_MEMBER, INVALID, UNKNOWN_KIND, NO_MATCHING_RULE, STORED_CONFLICT, CALL_CONFLICT };

static uint64_t hash_bytes(const char *s, size_t n) { /* FNV-1a, then mixed: linear probing wants low bits spread */
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

/* A set of ids (indices into a column), open addressing; -1 marks a free slot. */
typedef struct {
    int32_t *slots;
    size_t mask;
} IdSet;

static int idset_init(IdSet *set, Py_ssize_t expected) {
    size_t cap = 16;
    while (cap < (size_t)expected * 2) cap *= 2;
    set->slots = malloc(cap * sizeof *set->slots);
    if (!set->slots) { PyErr_NoMemory(); return -1; }
    memset(set->slots, 0xff, cap * sizeof *set->slots);
    set->mask = cap - 1;
    return 0;
}

/* The slot of id (s, n) among column's values: its index there, or -1 where it would go. */
static size_t idset_find(const IdSet *set, const Column *column, const char *s, size_t n) {
    size_t at = hash_bytes(s, n) & set->mask;
    for (;; at = (at + 1) & set->mask) {
        int32_t index = set->slots[at];
        if (index < 0) return at;
        size_t len;
        const char *other = column_at(column, index, &len);
        if (len == n && memcmp(other, s, n) == 0) return at;
    }
}

static uint64_t hash_key(const TailKey *k) {
    uint64_t h = (uint64_t)k->member * 0x9E3779B97F4A7C15ULL ^ (uint64_t)k->rule * 0xC2B2AE3D27D4EB4FULL ^
                 (uint64_t)k->month * 0x165667B19E3779F9ULL ^ (uint64_t)k->quantity * 0x27D4EB2F165667C5ULL;
    return h ^ (h >> 31);
}

static size_t tails_slot(const TailCache *c, const TailKey *k) {
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
static int tails_reserve(TailCache *c) {
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

static int text_add_str(Text *t, PyObject *text) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (!s) return -1;
    if (text_add(t, s, (size_t)n) < 0) { PyErr_NoMemory(); return -1; }
    return 0;
}

/* tail_for(member id, rule index, month, quantity) → (cents, coefficient, quantity, tail),
 * stored in the cache as the slot's tail. */
static int tails_add(TailCache *c, size_t slot, const TailKey *key, PyObject *tail_for, const Column *members,
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

static void arenas_free(Arenas *a) {
    if (!a) return;
    free(a->booked);
    free(a->payloads.data);
    free(a->tails.tails);
    free(a->tails.slots);
    free(a->tails.texts.data);
    free(a->outcome);
    free(a->conflict_with);
    free(a);
}

static void capsule_free(PyObject *capsule) { arenas_free(PyCapsule_GetPointer(capsule, ARENAS_CAPSULE)); }

static int add_or_fail(Text *t, const void *bytes, size_t n) {
    if (text_add(t, bytes, n) < 0) { PyErr_NoMemory(); return -1; }
    return 0;
}

/* Room for n more bytes without growing on the way. */
static int reserve(Text *t, size_t n) {
    if (text_reserve(t, n) < 0) { PyErr_NoMemory(); return -1; }
    return 0;
}

static int add_int(Text *t, long long value) {
    if (text_int(t, value) < 0) { PyErr_NoMemory(); return -1; }
    return 0;
}

/* run(n, ids, members, kinds, micros, quantities, attributes, member_names, kind_names,
 *     kind_rules, rule_index, rule_attribute, rule_values, known_ids, known_payloads,
 *     zone_starts, zone_offsets, deadline, seq, prev, tail_for)
 *
 * ids, member_names, kind_names, rule_values, known_ids, known_payloads: (data, offsets) text
 * columns; attributes: a tuple of (key, data, offsets, present) in sorted key order; members,
 * kinds: int32 per event; micros, quantities: int64 per event; kind_rules: int32 per kind + 1,
 * where each kind's rules start in the rule columns (in matching order); rule_index: the
 * rule's index for tail_for and the rule metadata; rule_attribute: the attribute column it
 * compares (-1 none: it always matches; -2 one no event carries: it never matches); zone_starts / zone_offsets: int64 µs, the UTC instant
 * each offset starts at (ascending; the first covers everything before).
 *
 * Returns (arenas capsule, booked, duplicates, rejected, seq, prev, pass seconds, tail seconds,
 * tail misses).
 */
static PyObject *run(PyObject *self, PyObject *args) {
    Py_ssize_t n;
    PyObject *ids_t, *members_b, *kinds_b, *micros_b, *quantities_b, *attributes_t, *member_names_t, *kind_names_t;
    PyObject *kind_rules_b, *rule_index_b, *rule_attribute_b, *rule_values_t, *known_ids_t, *known_payloads_t;
    PyObject *zone_starts_b, *zone_offsets_b, *tail_for;
    long long deadline, seq;
    const char *prev_in;
    Py_ssize_t prev_len;
    if (!PyArg_ParseTuple(args, "nO!SSSSO!O!O!SSSO!O!O!SSLLs#O", &n, &PyTuple_Type, &ids_t, &members_b, &kinds_b,
                          &micros_b, &quantities_b, &PyTuple_Type, &attributes_t, &PyTuple_Type, &member_names_t,
                          &PyTuple_Type, &kind_names_t, &kind_rules_b, &rule_index_b, &rule_attribute_b,
                          &PyTuple_Type, &rule_values_t, &PyTuple_Type, &known_ids_t, &PyTuple_Type,
                          &known_payloads_t, &zone_starts_b, &zone_offsets_b, &deadline, &seq, &prev_in, &prev_len,
                          &tail_for))
        return NULL;
    if (n < 0 || n > INT32_MAX) { /* the sets and records hold event indices as int32 */
        PyErr_SetString(PyExc_ValueError, "columns: 0 to 2**31 - 1 events a call");
        return NULL;
    }
    if (prev_len != 64) {
        PyErr_SetString(PyExc_ValueError, "prev is a 64-character hex digest");
        return NULL;
    }
    Column ids, member_names, kind_names, rule_values, known_ids, known_payloads;
    Py_ssize_t attribute_count = PyTuple_GET_SIZE(attributes_t);
    if (attribute_count > 8) {
        PyErr_SetString(PyExc_NotImplementedError, "columns: at most 8 attribute columns");
        return NULL;
    }
    Column attributes[8];
    char keys[8][128];
    size_t key_len[8];
    if (column_from(ids_t, n, &ids, "id") < 0 || column_from(member_names_t, -1, &member_names, "member name") < 0 ||
        column_from(kind_names_t, -1, &kind_names, "kind name") < 0 ||
        column_from(rule_values_t, -1, &rule_values, "rule value") < 0 ||
        column_from(known_ids_t, -1, &known_ids, "known id") < 0 ||
        column_from(known_payloads_t, known_ids.n, &known_payloads, "known payload") < 0)
        return NULL;
    for (Py_ssize_t a = 0; a < attribute_count; a++) {
        PyObject *item = PyTuple_GET_ITEM(attributes_t, a), *key, *data, *offsets, *present;
        if (!PyArg_ParseTuple(item, "SSSS", &key, &data, &offsets, &present)) return NULL;
        PyObject *column = PyTuple_Pack(3, data, offsets, present);
        if (!column) return NULL;
        int status = column_from(column, n, &attributes[a], "attribute");
        Py_DECREF(column);
        if (status < 0) return NULL;
        if (JSON_ESCAPED_MAX(PyBytes_GET_SIZE(key)) + 1 > (Py_ssize_t)sizeof keys[a]) {
            PyErr_SetString(PyExc_NotImplementedError, "columns: attribute names of at most 20 bytes");
            return NULL;
        }
        key_len[a] = json_escape(PyBytes_AS_STRING(key), (size_t)PyBytes_GET_SIZE(key), keys[a]);
        keys[a][key_len[a]++] = ':';
    }
    Py_ssize_t kind_count = kind_names.n, rule_count = PyBytes_GET_SIZE(rule_index_b) / 4;
    Py_ssize_t zones = PyBytes_GET_SIZE(zone_starts_b) / 8;
    const int32_t *members = array_from(members_b, n, 4, "member"), *kinds = array_from(kinds_b, n, 4, "kind");
    const int64_t *micros = array_from(micros_b, n, 8, "instant"), *quantities = array_from(quantities_b, n, 8, "quantity");
    const int32_t *kind_rules = array_from(kind_rules_b, kind_count + 1, 4, "kind rules");
    const int32_t *rule_index = array_from(rule_index_b, rule_count, 4, "rule index");
    const int32_t *rule_attribute = array_from(rule_attribute_b, rule_count, 4, "rule attribute");
    const int64_t *zone_starts = array_from(zone_starts_b, zones, 8, "zone start");
    const int64_t *zone_offsets = array_from(zone_offsets_b, zones, 8, "zone offset");
    if (!members || !kinds || !micros || !quantities || !kind_rules || !rule_index || !rule_attribute ||
        !zone_starts || !zone_offsets)
        return NULL;
    if (zones < 1 || rule_values.n != rule_count || kind_rules[0] != 0 || kind_rules[kind_count] != rule_count) {
        PyErr_SetString(PyExc_ValueError, "the zone or rule table is malformed");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (members[i] < -1 || members[i] >= member_names.n || kinds[i] < -1 || kinds[i] >= kind_count) {
            PyErr_Format(PyExc_ValueError, "event %zd's member or kind index is out of range", i);
            return NULL;
        }
    for (Py_ssize_t r = 0; r < rule_count; r++)
        if (rule_attribute[r] < -2 || rule_attribute[r] >= attribute_count) {
            PyErr_Format(PyExc_ValueError, "rule %zd's attribute column is out of range", r);
            return NULL;
        }

    Arenas *arenas = calloc(1, sizeof *arenas);
    if (!arenas) return PyErr_NoMemory();
    arenas->events = n;
    arenas->outcome = malloc(n ? (size_t)n : 1);
    arenas->conflict_with = malloc((n ? (size_t)n : 1) * sizeof *arenas->conflict_with);
    IdSet known = {0}, seen = {0}; /* seen: indices of the call's booked events */
    int32_t *booked_of = malloc((n ? (size_t)n : 1) * sizeof *booked_of); /* a booked event's record */
    Text payload = {0}, text = {0};
    PyObject *result = NULL;
    if (!arenas->outcome || !arenas->conflict_with || !booked_of) { PyErr_NoMemory(); goto done; }

    double started = seconds_now(), tail_seconds = 0;
    long long tail_misses = 0;
    Py_ssize_t booked_n = 0, duplicates_n = 0, rejected_n = 0;
    char prev[64];
    memcpy(prev, prev_in, 64);
    if (idset_init(&known, known_ids.n) < 0 || idset_init(&seen, n) < 0) goto done;
    for (Py_ssize_t k = 0; k < known_ids.n; k++) {
        size_t len;
        const char *id = column_at(&known_ids, k, &len);
        size_t slot = idset_find(&known, &known_ids, id, len);
        if (known.slots[slot] < 0) known.slots[slot] = (int32_t)k;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        size_t id_len;
        const char *id = column_at(&ids, i, &id_len);
        int32_t member = members[i], kind = kinds[i];
        arenas->conflict_with[i] = -1;
        /* An id the store knows: a duplicate when its payload is the same, else a conflict. */
        int32_t stored = known.slots[idset_find(&known, &known_ids, id, id_len)];
        if (stored >= 0 && (member < 0 || kind < 0)) {
            /* the payload names the member and kind: their texts are not in the columns */
            PyErr_Format(PyExc_NotImplementedError, "event %zd: a known id with an unknown member or kind", i);
            goto done;
        }
        /* The canonical payload: member, kind, instant, quantity, reported ("") and attributes
         * (rejected events with an unknown member or kind need none: only a known id reads it). */
        payload.len = 0;
        if (member >= 0 && kind >= 0) {
            size_t len;
            const char *s = column_at(&member_names, member, &len);
            if (add_or_fail(&payload, s, len) < 0 || add_or_fail(&payload, "\x1f", 1) < 0) goto done;
            s = column_at(&kind_names, kind, &len);
            if (add_or_fail(&payload, s, len) < 0 || add_or_fail(&payload, "\x1f", 1) < 0 ||
                add_int(&payload, micros[i]) < 0 || add_or_fail(&payload, "\x1f", 1) < 0 ||
                add_int(&payload, quantities[i]) < 0 || add_or_fail(&payload, "\x1f\x1f", 2) < 0)
                goto done;
            int first = 1;
            for (Py_ssize_t a = 0; a < attribute_count; a++) {
                if (!attributes[a].present[i]) continue;
                s = column_at(&attributes[a], i, &len);
                if (add_or_fail(&payload, first ? "{" : ",", 1) < 0 || add_or_fail(&payload, keys[a], key_len[a]) < 0)
                    goto done;
                first = 0;
                /* escaped straight into the buffer, room for the worst case made first */
                if (reserve(&payload, JSON_ESCAPED_MAX(len)) < 0) goto done;
                payload.len += json_escape(s, len, payload.data + payload.len);
            }
            if (!first && add_or_fail(&payload, "}", 1) < 0) goto done;
        }
        if (stored >= 0) {
            size_t len;
            const char *known_payload = column_at(&known_payloads, stored, &len);
            int same = len == payload.len && memcmp(known_payload, payload.data, len) == 0;
            arenas->outcome[i] = same ? DUPLICATE : STORED_CONFLICT;
            arenas->conflict_with[i] = stored;
            same ? duplicates_n++ : rejected_n++;
            continue;
        }
        /* Admission: known member, not in the future, known kind, first matching rule. */
        int code = -1;
        int32_t rule = -1;
        if (member < 0) code = UNKNOWN_MEMBER;
        else if (micros[i] > deadline) code = INVALID;
        else if (kind < 0) code = UNKNOWN_KIND;
        for (int32_t r = code < 0 ? kind_rules[kind] : 0; code < 0 && r < kind_rules[kind + 1]; r++) {
            int32_t column = rule_attribute[r];
            if (column == -2) continue; /* an attribute no event carries: no event matches */
            if (column >= 0) {
                if (!attributes[column].present[i]) continue;
                size_t len, expected_len;
                const char *value = column_at(&attributes[column], i, &len);
                const char *expected = column_at(&rule_values, r, &expected_len);
                if (len != expected_len || memcmp(value, expected, len) != 0) continue;
            }
            rule = r;
            break;
        }
        if (code < 0 && rule < 0) code = NO_MATCHING_RULE;
        if (code >= 0) {
            arenas->outcome[i] = (unsigned char)code;
            rejected_n++;
            continue;
        }
        /* An id this call booked already: judged after admission, as the pipeline judges it. */
        size_t seen_slot = idset_find(&seen, &ids, id, id_len);
        if (seen.slots[seen_slot] >= 0) {
            const Booked *first = &arenas->booked[booked_of[seen.slots[seen_slot]]];
            size_t len = first->payload_end - first->payload;
            int same = len == payload.len && memcmp(arenas->payloads.data + first->payload, payload.data, len) == 0;
            arenas->outcome[i] = same ? DUPLICATE : CALL_CONFLICT;
            same ? duplicates_n++ : rejected_n++;
            continue;
        }
        /* The local day and month: the offset in force at the instant (binary search). */
        Py_ssize_t lo = 0, hi = zones - 1;
        while (lo < hi) {
            Py_ssize_t mid = (lo + hi + 1) / 2;
            if (zone_starts[mid] <= micros[i]) lo = mid;
            else hi = mid - 1;
        }
        long long local = micros[i] + zone_offsets[lo];
        long long days = local >= 0 ? local / 86400000000LL : -((-local + 86399999999LL) / 86400000000LL);
        char day[11];
        int32_t month;
        date_label(days, day, &month);
        /* Points and the entry's tail, once per (member, rule, month, quantity). */
        TailKey key = {member, rule_index[rule], month, quantities[i]};
        if (!arenas->tails.slots && tails_reserve(&arenas->tails) < 0) goto done;
        size_t tail_slot = tails_slot(&arenas->tails, &key);
        if (arenas->tails.slots[tail_slot] < 0) {
            double asked = seconds_now();
            if (tails_add(&arenas->tails, tail_slot, &key, tail_for, &member_names, day) < 0) goto done;
            tail_seconds += seconds_now() - asked;
            tail_misses++;
            tail_slot = tails_slot(&arenas->tails, &key);
        }
        int32_t tail_index = arenas->tails.slots[tail_slot];
        const Tail *tail = &arenas->tails.tails[tail_index];
        /* The entry's canonical text after the previous hash, and its SHA-256. */
        seq += 1;
        text.len = 0;
        size_t len;
        const char *member_name = column_at(&member_names, member, &len);
        if (add_or_fail(&text, prev, 64) < 0 || add_or_fail(&text, "\x1egp1\x1f", 5) < 0 || add_int(&text, seq) < 0 ||
            add_or_fail(&text, "\x1f", 1) < 0 || add_or_fail(&text, member_name, len) < 0 ||
            add_or_fail(&text, "\x1f", 1) < 0 || add_or_fail(&text, id, id_len) < 0 || add_or_fail(&text, "\x1f", 1) < 0)
            goto done;
        const char *kind_name = column_at(&kind_names, kind, &len);
        if (add_or_fail(&text, kind_name, len) < 0 || add_or_fail(&text, "\x1f", 1) < 0 ||
            add_or_fail(&text, day, 7) < 0 || add_or_fail(&text, "\x1f", 1) < 0 || add_or_fail(&text, day, 10) < 0 ||
            add_or_fail(&text, "\x1f", 1) < 0 ||
            add_or_fail(&text, arenas->tails.texts.data + tail->tail, tail->end - tail->tail) < 0 ||
            add_or_fail(&text, "\x1frule\x1f", 6) < 0)
            goto done;
        unsigned char digest[SHA256_DIGEST_LENGTH];
        sha256_bytes(text.data, text.len, digest);
        /* The booked record and its payload, in the arenas. */
        if (arenas->booked_count == arenas->booked_cap) {
            size_t cap = arenas->booked_cap ? arenas->booked_cap * 2 : 1024;
            Booked *grown = realloc(arenas->booked, cap * sizeof *grown);
            if (!grown) { PyErr_NoMemory(); goto done; }
            arenas->booked = grown;
            arenas->booked_cap = cap;
        }
        Booked *booked = &arenas->booked[arenas->booked_count];
        booked->seq = seq;
        booked->event = (int32_t)i;
        booked->rule = rule_index[rule];
        booked->tail = tail_index;
        booked->local_days = (int32_t)days;
        booked->payload = arenas->payloads.len;
        if (add_or_fail(&arenas->payloads, payload.data, payload.len) < 0) goto done;
        booked->payload_end = arenas->payloads.len;
        hex(digest, booked->hash);
        memcpy(prev, booked->hash, 64);
        seen.slots[seen_slot] = (int32_t)i;
        booked_of[i] = (int32_t)arenas->booked_count++;
        arenas->outcome[i] = BOOKED;
        booked_n++;
    }
    double seconds = seconds_now() - started;
    PyObject *capsule = PyCapsule_New(arenas, ARENAS_CAPSULE, capsule_free);
    if (!capsule) goto done;
    arenas = NULL; /* the capsule frees them now */
    result = Py_BuildValue("(NnnnLs#ddL)", capsule, booked_n, duplicates_n, rejected_n, seq, prev, (Py_ssize_t)64,
                           seconds, tail_seconds, tail_misses);
done:
    arenas_free(arenas);
    free(known.slots);
    free(seen.slots);
    free(booked_of);
    free(payload.data);
    free(text.data);
    return result;
}

/* materialize(arenas, initial prev) → (outcomes, conflicts with, booked, tails): outcomes one
 * byte per event (the enum's order), conflicts with the known id's index per event (-1 none),
 * booked a list of (seq, event index, rule index, tail index, day label, payload, prev, hash),
 * tails a list of (cents, coefficient, quantity, tail). For tests: untimed. */
static PyObject *materialize(PyObject *self, PyObject *args) {
    PyObject *capsule;
    const char *prev;
    Py_ssize_t prev_len;
    if (!PyArg_ParseTuple(args, "Os#", &capsule, &prev, &prev_len)) return NULL;
    Arenas *a = PyCapsule_GetPointer(capsule, ARENAS_CAPSULE);
    if (!a) return NULL;
    PyObject *booked = PyList_New((Py_ssize_t)a->booked_count), *tails = PyList_New((Py_ssize_t)a->tails.count);
    PyObject *conflicts = PyList_New(a->events), *result = NULL;
    if (!booked || !tails || !conflicts) goto done;
    for (Py_ssize_t i = 0; i < a->events; i++) {
        PyObject *index = PyLong_FromLong(a->conflict_with[i]);
        if (!index) goto done;
        PyList_SET_ITEM(conflicts, i, index);
    }
    for (size_t b = 0; b < a->booked_count; b++) {
        const Booked *row = &a->booked[b];
        char day[11];
        date_label(row->local_days, day, NULL);
        PyObject *item = Py_BuildValue("(Liiis#s#s#s#)", (long long)row->seq, row->event, row->rule, row->tail, day,
                                       (Py_ssize_t)10, a->payloads.data + row->payload,
                                       (Py_ssize_t)(row->payload_end - row->payload),
                                       b ? a->booked[b - 1].hash : prev, b ? (Py_ssize_t)64 : prev_len, row->hash,
                                       (Py_ssize_t)64);
        if (!item) goto done;
        PyList_SET_ITEM(booked, (Py_ssize_t)b, item);
    }
    for (size_t t = 0; t < a->tails.count; t++) {
        const Tail *tail = &a->tails.tails[t];
        const char *texts = a->tails.texts.data;
        PyObject *item = Py_BuildValue("(Ls#s#s#)", (long long)tail->cents, texts + tail->coefficient,
                                       (Py_ssize_t)(tail->quantity - tail->coefficient), texts + tail->quantity,
                                       (Py_ssize_t)(tail->tail - tail->quantity), texts + tail->tail,
                                       (Py_ssize_t)(tail->end - tail->tail));
        if (!item) goto done;
        PyList_SET_ITEM(tails, (Py_ssize_t)t, item);
    }
    result = Py_BuildValue("(y#OOO)", (const char *)a->outcome, a->events, conflicts, booked, tails);
done:
    Py_XDECREF(booked);
    Py_XDECREF(tails);
    Py_XDECREF(conflicts);
    return result;
}

static PyMethodDef methods[] = {
    {"run", run, METH_VARARGS, "Book a call's packed columns in one native pass (see the module source)."},
    {"materialize", materialize, METH_VARARGS, "A pass's arenas as Python values (for tests)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_gp_native_columns", NULL, -1, methods};

PyMODINIT_FUNC PyInit__gp_native_columns(void) { return PyModule_Create(&module); }

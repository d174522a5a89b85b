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

#include "columns.h"

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

/* run(events, tables, known_ids, known_payloads, deadline, seq, prev, tail_for)
 *
 * events, tables: the call's packed columns and the engine's tables (Input in columns.h);
 * known_ids, known_payloads: (data, offsets) text columns of the ids the store knows and their
 * payloads.
 *
 * Returns (arenas capsule, booked, duplicates, rejected, seq, prev, pass seconds, tail seconds,
 * tail misses).
 */
static PyObject *run(PyObject *self, PyObject *args) {
    PyObject *events, *tables, *known_ids_t, *known_payloads_t, *tail_for;
    long long deadline, seq;
    const char *prev_in;
    Py_ssize_t prev_len;
    if (!PyArg_ParseTuple(args, "O!O!O!O!LLs#O", &PyTuple_Type, &events, &PyTuple_Type, &tables, &PyTuple_Type,
                          &known_ids_t, &PyTuple_Type, &known_payloads_t, &deadline, &seq, &prev_in, &prev_len,
                          &tail_for))
        return NULL;
    if (prev_len != 64) {
        PyErr_SetString(PyExc_ValueError, "prev is a 64-character hex digest");
        return NULL;
    }
    Input in;
    Column known_ids, known_payloads;
    if (input_from(events, tables, &in) < 0 || column_from(known_ids_t, -1, &known_ids, "known id") < 0 ||
        column_from(known_payloads_t, known_ids.n, &known_payloads, "known payload") < 0)
        return NULL;
    Py_ssize_t n = in.n;

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
        const char *id = column_at(&in.ids, i, &id_len);
        int32_t member = in.members[i], kind = in.kinds[i];
        arenas->conflict_with[i] = -1;
        /* An id the store knows: a duplicate when its payload is the same, else a conflict. */
        int32_t stored = known.slots[idset_find(&known, &known_ids, id, id_len)];
        if (stored >= 0 && (member < 0 || kind < 0)) {
            /* the payload names the member and kind: their texts are not in the columns */
            PyErr_Format(PyExc_NotImplementedError, "event %zd: a known id with an unknown member or kind", i);
            goto done;
        }
        /* The canonical payload (rejected events with an unknown member or kind need none: only a
         * known id reads it). */
        payload.len = 0;
        size_t unused_at, unused_len;
        if (member >= 0 && kind >= 0 && payload_into(&payload, &in, i, -1, &unused_at, &unused_len) < 0) goto done;
        if (stored >= 0) {
            size_t len;
            const char *known_payload = column_at(&known_payloads, stored, &len);
            int same = len == payload.len && memcmp(known_payload, payload.data, len) == 0;
            arenas->outcome[i] = same ? DUPLICATE : STORED_CONFLICT;
            arenas->conflict_with[i] = stored;
            same ? duplicates_n++ : rejected_n++;
            continue;
        }
        int32_t rule;
        int code = admit(&in, i, deadline, &rule);
        if (code >= 0) {
            arenas->outcome[i] = (unsigned char)code;
            rejected_n++;
            continue;
        }
        /* An id this call booked already: judged after admission, as the pipeline judges it. */
        size_t seen_slot = idset_find(&seen, &in.ids, id, id_len);
        if (seen.slots[seen_slot] >= 0) {
            const Booked *first = &arenas->booked[booked_of[seen.slots[seen_slot]]];
            size_t len = first->payload_end - first->payload;
            int same = len == payload.len && memcmp(arenas->payloads.data + first->payload, payload.data, len) == 0;
            arenas->outcome[i] = same ? DUPLICATE : CALL_CONFLICT;
            same ? duplicates_n++ : rejected_n++;
            continue;
        }
        /* The local day and month. */
        long long days = days_of(in.micros[i] + offset_at(&in, in.micros[i]));
        char day[11];
        int32_t month;
        date_label(days, day, &month);
        /* Points and the entry's tail, once per (member, rule, month, quantity). */
        TailKey key = {member, in.rule_index[rule], month, in.quantities[i]};
        int32_t tail_at = tail_index(&arenas->tails, &key, tail_for, &in.member_names, day, &tail_seconds, &tail_misses);
        if (tail_at < 0) goto done;
        const Tail *tail = &arenas->tails.tails[tail_at];
        /* The booked record: the entry's canonical text after the previous hash, its SHA-256. */
        if (arenas->booked_count == arenas->booked_cap) {
            size_t cap = arenas->booked_cap ? arenas->booked_cap * 2 : 1024;
            Booked *grown = realloc(arenas->booked, cap * sizeof *grown);
            if (!grown) { PyErr_NoMemory(); goto done; }
            arenas->booked = grown;
            arenas->booked_cap = cap;
        }
        Booked *booked = &arenas->booked[arenas->booked_count];
        size_t member_len, kind_len;
        const char *member_name = column_at(&in.member_names, member, &member_len);
        const char *kind_name = column_at(&in.kind_names, kind, &kind_len);
        if (entry_hash(&text, prev, seq + 1, member_name, member_len, id, id_len, kind_name, kind_len, day,
                       arenas->tails.texts.data + tail->tail, tail->end - tail->tail, booked->hash) < 0)
            goto done;
        booked->seq = ++seq;
        booked->event = (int32_t)i;
        booked->rule = in.rule_index[rule];
        booked->tail = tail_at;
        booked->local_days = (int32_t)days;
        booked->payload = arenas->payloads.len;
        if (add_or_fail(&arenas->payloads, payload.data, payload.len) < 0) goto done;
        booked->payload_end = arenas->payloads.len;
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
    PyObject *booked = PyList_New((Py_ssize_t)a->booked_count), *tails = tails_list(&a->tails);
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

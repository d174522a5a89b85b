/* One row per event on PostgreSQL, natively: the COPY data of columns.c's booked records.
 *
 * rows(arenas, ids, members, kinds, micros, member_names, kind_names, rule_meta, prev, intake_seq)
 * → a capsule over one pass's arenas (columns.c) and the columns it read, from which
 * block(rows, size) makes, call after call, PostgreSQL's binary COPY data (the signature first,
 * the trailer last; None after it) for one row per booked event in booked (seq) order: the
 * entry's 17 columns, then the event row's own (occurred_us, its month, status "booked", the
 * payload, three empty hold columns, intake_seq) — MERGED_COLUMNS of benchmarks/store_rows.py,
 * which COLUMNS names in this order. Each row's event_line (gridpoints.stores.intakes) is hashed
 * as the row is written; intake(rows, head_seq, head_hash) then gives the intake row of them all
 * (seq, events, digest, prev_hash, hash), as IntakeLog.row() makes it. Nothing is sent from
 * here: psycopg's copy.write() is the transport.
 *
 * Binary, not text: no escaping of the payload's backslashes, and the server parses no integer
 * text. Each block is at most `size` bytes unless one row is larger (psycopg hands the libpq
 * blocks of up to 128 KiB without copying them). Checks off, as columns.c: no held event, so no
 * NULL and no empty entry columns. A measuring instrument (see __init__.py); nothing ships.
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
#include "intake.h"

#define ROWS_CAPSULE "pgcopy.rows"
#define FIELDS 25
#define META_FIELDS 4 /* rule, ruleset, version, digest: per rule index */

static const char *const column_names[FIELDS] = {
    "seq", "member_id", "event_id", "kind", "period", "day", "points_cents", "coefficient", "quantity", "rule",
    "ruleset", "version", "digest", "reason", "ref", "prev_hash", "hash", "occurred_us", "event_period", "status",
    "payload", "hold_check", "hold_reason", "hold_ref", "intake_seq",
};
/* PGCOPY\n\377\r\n\0, flags 0, no header extension. */
static const char signature[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

typedef struct {
    PyObject *keep; /* the arguments' tuple: the arenas' capsule and the columns, alive while read */
    const Arenas *a;
    Column ids, member_names, kind_names, meta;
    const int32_t *members, *kinds;
    const int64_t *micros;
    char prev[64]; /* the hash before the next row */
    long long intake_seq;
    size_t next;         /* the next booked record */
    int started, ended;  /* the signature, the trailer written */
    Line *lines;         /* one per row written */
    Text block, line, scratch;
} Rows;

static void rows_free(PyObject *capsule) {
    Rows *r = PyCapsule_GetPointer(capsule, ROWS_CAPSULE);
    if (!r) return;
    Py_XDECREF(r->keep);
    free(r->lines);
    free(r->block.data);
    free(r->line.data);
    free(r->scratch.data);
    free(r);
}

static inline char *put32(char *p, uint32_t v) {
    p[0] = (char)(v >> 24), p[1] = (char)(v >> 16), p[2] = (char)(v >> 8), p[3] = (char)v;
    return p + 4;
}

static inline char *put_int64(char *p, int64_t value) { /* a BIGINT field: its length, then big-endian */
    uint64_t v = (uint64_t)value;
    p = put32(p, 8);
    p = put32(p, (uint32_t)(v >> 32));
    return put32(p, (uint32_t)v);
}

static inline char *put_text(char *p, const char *s, size_t n) { /* a TEXT field: its length, then its UTF-8 */
    p = put32(p, (uint32_t)n);
    memcpy(p, s, n);
    return p + n;
}

static PyObject *rows(PyObject *self, PyObject *args) {
    PyObject *capsule, *ids_t, *members_b, *kinds_b, *micros_b, *member_names_t, *kind_names_t, *meta_t;
    const char *prev;
    Py_ssize_t prev_len;
    long long intake_seq;
    if (!PyArg_ParseTuple(args, "OO!SSSO!O!O!s#L", &capsule, &PyTuple_Type, &ids_t, &members_b, &kinds_b, &micros_b,
                          &PyTuple_Type, &member_names_t, &PyTuple_Type, &kind_names_t, &PyTuple_Type, &meta_t, &prev,
                          &prev_len, &intake_seq))
        return NULL;
    const Arenas *a = PyCapsule_GetPointer(capsule, ARENAS_CAPSULE);
    if (!a) return NULL;
    if (prev_len != 64) {
        PyErr_SetString(PyExc_ValueError, "prev is a 64-character hex digest");
        return NULL;
    }
    Rows *r = calloc(1, sizeof *r);
    if (!r) return PyErr_NoMemory();
    PyObject *result = PyCapsule_New(r, ROWS_CAPSULE, rows_free);
    if (!result) {
        free(r);
        return NULL;
    }
    r->keep = Py_NewRef(args);
    r->a = a;
    memcpy(r->prev, prev, 64);
    r->intake_seq = intake_seq;
    Py_ssize_t n = a->events;
    if (column_from(ids_t, n, &r->ids, "id") < 0 || column_from(member_names_t, -1, &r->member_names, "member name") < 0 ||
        column_from(kind_names_t, -1, &r->kind_names, "kind name") < 0 ||
        column_from(meta_t, -1, &r->meta, "rule metadata") < 0 ||
        !(r->members = array_from(members_b, n, 4, "member")) || !(r->kinds = array_from(kinds_b, n, 4, "kind")) ||
        !(r->micros = array_from(micros_b, n, 8, "instant")))
        goto fail;
    if (r->meta.n % META_FIELDS) {
        PyErr_SetString(PyExc_ValueError, "the rule metadata is four texts per rule");
        goto fail;
    }
    /* Every index a record holds must point into the columns given (the pass checked its own). */
    for (size_t b = 0; b < a->booked_count; b++) {
        const Booked *booked = &a->booked[b];
        int32_t member = r->members[booked->event], kind = r->kinds[booked->event];
        if (member < 0 || member >= r->member_names.n || kind < 0 || kind >= r->kind_names.n ||
            (Py_ssize_t)(booked->rule + 1) * META_FIELDS > r->meta.n) {
            PyErr_Format(PyExc_ValueError, "booked record %zu does not fit the columns given", b);
            goto fail;
        }
    }
    if (a->booked_count && !(r->lines = malloc(a->booked_count * sizeof(Line)))) {
        PyErr_NoMemory();
        goto fail;
    }
    return result;
fail:
    Py_DECREF(result);
    return NULL;
}

/* Append booked record b's row to r->block, its event_line into r->lines[b]. */
static int add_row(Rows *r, size_t b) {
    const Arenas *a = r->a;
    const Booked *booked = &a->booked[b];
    const Tail *tail = &a->tails.tails[booked->tail];
    const char *texts = a->tails.texts.data;
    size_t id_len, member_len, kind_len, meta_len[META_FIELDS];
    const char *id = column_at(&r->ids, booked->event, &id_len);
    const char *member = column_at(&r->member_names, r->members[booked->event], &member_len);
    const char *kind = column_at(&r->kind_names, r->kinds[booked->event], &kind_len);
    const char *meta[META_FIELDS];
    for (int m = 0; m < META_FIELDS; m++) meta[m] = column_at(&r->meta, booked->rule * META_FIELDS + m, &meta_len[m]);
    const char *payload = a->payloads.data + booked->payload;
    size_t payload_len = booked->payload_end - booked->payload;
    size_t coefficient_len = tail->quantity - tail->coefficient, quantity_len = tail->tail - tail->quantity;
    char day[11];
    date_label(booked->local_days, day, NULL);
    /* The row's exact size, reserved once: the field count, 25 lengths, 4 BIGINTs, the texts. */
    size_t size = 2 + 4 * FIELDS + 4 * 8 + id_len + member_len + kind_len + 7 + 10 + coefficient_len + quantity_len +
                  meta_len[0] + meta_len[1] + meta_len[2] + meta_len[3] + 4 + 64 + 64 + 7 + 6 + payload_len;
    if (text_reserve(&r->block, size) < 0) return -1;
    char *start = r->block.data + r->block.len, *p = start;
    *p++ = 0, *p++ = FIELDS;
    p = put_int64(p, booked->seq);
    p = put_text(p, member, member_len);
    p = put_text(p, id, id_len);
    p = put_text(p, kind, kind_len);
    p = put_text(p, day, 7);
    p = put_text(p, day, 10);
    p = put_int64(p, tail->cents);
    p = put_text(p, texts + tail->coefficient, coefficient_len);
    p = put_text(p, texts + tail->quantity, quantity_len);
    for (int m = 0; m < META_FIELDS; m++) p = put_text(p, meta[m], meta_len[m]);
    p = put_text(p, "rule", 4);
    p = put_text(p, "", 0);
    p = put_text(p, r->prev, 64);
    p = put_text(p, booked->hash, 64);
    p = put_int64(p, r->micros[booked->event]);
    p = put_text(p, day, 7);
    p = put_text(p, "booked", 6);
    p = put_text(p, payload, payload_len);
    for (int empty = 0; empty < 3; empty++) p = put_text(p, "", 0);
    p = put_int64(p, r->intake_seq);
    r->block.len += (size_t)(p - start);
    memcpy(r->prev, booked->hash, 64);
    /* Its event_line: id, member, kind, occurred_us;, month, status, payload, the hold columns. */
    Text *line = &r->line;
    line->len = 0;
    if (text_counted(line, (const unsigned char *)id, id_len) < 0 ||
        text_counted(line, (const unsigned char *)member, member_len) < 0 ||
        text_counted(line, (const unsigned char *)kind, kind_len) < 0 || text_int(line, r->micros[booked->event]) < 0 ||
        text_add(line, ";", 1) < 0 || text_counted(line, (const unsigned char *)day, 7) < 0 ||
        text_add(line, "6:booked", 8) < 0 || text_counted(line, (const unsigned char *)payload, payload_len) < 0 ||
        text_add(line, "0:0:0:", 6) < 0)
        return -1;
    Line *kept = &r->lines[b];
    kept->id = id;
    kept->id_len = id_len;
    sha256_bytes(line->data, line->len, kept->line);
    return 0;
}

/* block(rows, size) → the next bytes of COPY data (at most `size` unless one row is larger), or
 * None once the trailer has been given. */
static PyObject *block(PyObject *self, PyObject *args) {
    PyObject *capsule;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "On", &capsule, &size)) return NULL;
    Rows *r = PyCapsule_GetPointer(capsule, ROWS_CAPSULE);
    if (!r) return NULL;
    if (r->ended) Py_RETURN_NONE;
    Text *out = &r->block; /* it may start with the row that overflowed the last block */
    if (!r->started) {
        if (text_add(out, signature, sizeof signature) < 0) return PyErr_NoMemory();
        r->started = 1;
    }
    size_t cut = out->len, count = r->a->booked_count; /* cut: the end of the whole rows handed out */
    while (cut < (size_t)size && r->next < count) {
        if (add_row(r, r->next) < 0) return PyErr_NoMemory();
        r->next++;
        if (out->len > (size_t)size && cut > 0) break; /* that row opens the next block */
        cut = out->len;
    }
    if (r->next == count && cut == out->len) {
        if (text_add(out, "\xff\xff", 2) < 0) return PyErr_NoMemory();
        r->ended = 1;
        cut = out->len;
    }
    PyObject *bytes = PyBytes_FromStringAndSize(out->data, (Py_ssize_t)cut);
    if (!bytes) return NULL;
    memmove(out->data, out->data + cut, out->len - cut);
    out->len -= cut;
    return bytes;
}

/* intake(rows, head_seq, head_hash) → (seq, events, digest, prev_hash, hash) of the intake row
 * after that head, or None when no row was written (IntakeLog.row()'s None). */
static PyObject *intake(PyObject *self, PyObject *args) {
    PyObject *capsule;
    long long seq;
    const char *hash;
    Py_ssize_t hash_len;
    if (!PyArg_ParseTuple(args, "OLs#", &capsule, &seq, &hash, &hash_len)) return NULL;
    Rows *r = PyCapsule_GetPointer(capsule, ROWS_CAPSULE);
    if (!r) return NULL;
    if (!r->ended) {
        PyErr_SetString(PyExc_RuntimeError, "intake() after the last block only");
        return NULL;
    }
    if (hash_len != 64) {
        PyErr_SetString(PyExc_ValueError, "a head's hash has 64 hex digits");
        return NULL;
    }
    if (seq + 1 != r->intake_seq) {
        PyErr_Format(PyExc_ValueError, "the rows carry intake seq %lld, not %lld", r->intake_seq, seq + 1);
        return NULL;
    }
    size_t count = r->a->booked_count;
    if (!count) Py_RETURN_NONE;
    Head head = {seq, {0}};
    memcpy(head.hash, hash, 65);
    char digest_hex[65], hash_hex[65];
    if (intake_row(r->lines, count, &head, &r->scratch, digest_hex, hash_hex) < 0) return PyErr_NoMemory();
    return Py_BuildValue("(Lnsss)", r->intake_seq, (Py_ssize_t)count, digest_hex, head.hash, hash_hex);
}

static PyMethodDef methods[] = {
    {"rows", rows, METH_VARARGS, "Set up the COPY data of a columns pass's booked records (see the module source)."},
    {"block", block, METH_VARARGS, "The next block of binary COPY data, or None after the trailer."},
    {"intake", intake, METH_VARARGS, "The intake row of the rows written, after the given intake head."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_gp_native_pgcopy", NULL, -1, methods, NULL, NULL, NULL,
                                    NULL};

PyMODINIT_FUNC PyInit__gp_native_pgcopy(void) {
    PyObject *m = PyModule_Create(&module), *names = PyTuple_New(FIELDS);
    if (!m || !names) goto fail;
    for (Py_ssize_t i = 0; i < FIELDS; i++) {
        PyObject *name = PyUnicode_FromString(column_names[i]);
        if (!name) goto fail;
        PyTuple_SET_ITEM(names, i, name);
    }
    if (PyModule_AddObject(m, "COLUMNS", names) < 0) goto fail; /* steals names on success */
    return m;
fail:
    Py_XDECREF(names);
    Py_XDECREF(m);
    return NULL;
}

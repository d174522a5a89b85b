/* The native-core skeleton: issue 13's "per-event path out of CPython", tried.
 *
 * One pass over a call's events in input order, in C: read each Event's fields, dedupe within
 * the call, admit (known member, not in the future, known kind, first matching rule), local day
 * and month labels, the canonical payload, the entry's canonical text and its chained SHA-256,
 * and the two staged rows the store takes (entry and event row, as the pipeline stages them).
 * What it does not do is refused before any work (see benchmarks/native_core/__init__.py):
 * checks, caps, count limits, late reports, closed months, several rule-set versions, conditions
 * other than string equality, ratings, decimal quantities. It measures what those parts cost natively;
 * it is not a second implementation to ship.
 *
 * SHA-256 is OpenSSL's (libcrypto), the library CPython's hashlib uses.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co: no provider fetch per digest */
#include <Python.h>
#include <datetime.h>
#include <structmember.h>
#include <openssl/sha.h>
#include <string.h>

#include "civil.h"
#include "text.h"

typedef struct {
    char *data;
    Py_ssize_t len;
    Py_ssize_t cap;
    int ascii; /* every byte so far < 0x80: the text can be built without decoding */
} Buf;

static int buf_reserve(Buf *b, Py_ssize_t more) {
    if (b->len + more <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) cap *= 2;
    char *grown = PyMem_Realloc(b->data, cap);
    if (!grown) { PyErr_NoMemory(); return -1; }
    b->data = grown;
    b->cap = cap;
    return 0;
}

static int buf_bytes(Buf *b, const char *s, Py_ssize_t n) {
    if (buf_reserve(b, n) < 0) return -1;
    memcpy(b->data + b->len, s, n);
    for (Py_ssize_t i = 0; i < n && b->ascii; i++)
        if ((unsigned char)s[i] >= 0x80) b->ascii = 0;
    b->len += n;
    return 0;
}

static int buf_char(Buf *b, char c) { return buf_bytes(b, &c, 1); }

static int buf_str(Buf *b, PyObject *text) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (!s) return -1;
    if (buf_reserve(b, n) < 0) return -1;
    memcpy(b->data + b->len, s, n);
    if (b->ascii && !PyUnicode_IS_ASCII(text)) b->ascii = 0;
    b->len += n;
    return 0;
}

static int buf_int(Buf *b, long long value) {
    char digits[24];
    char *end = digits + sizeof digits, *p = decimal_digits(value, end);
    return buf_bytes(b, p, end - p);
}

/* A JSON string as json.encoder.encode_basestring writes it (ensure_ascii=False; json_escape). */
static int buf_json_string(Buf *b, PyObject *text) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (!s) return -1;
    if (buf_reserve(b, JSON_ESCAPED_MAX(n)) < 0) return -1;
    if (b->ascii && !PyUnicode_IS_ASCII(text)) b->ascii = 0;
    b->len += json_escape(s, (size_t)n, b->data + b->len);
    return 0;
}

static PyObject *buf_text(Buf *b) {
    if (b->ascii) {
        PyObject *text = PyUnicode_New(b->len, 127);
        if (text) memcpy(PyUnicode_DATA(text), b->data, b->len);
        return text;
    }
    return PyUnicode_DecodeUTF8(b->data, b->len, "strict");
}

static PyObject *S_id, *S_member_id, *S_kind, *S_occurred_at, *S_reported_at, *S_quantity,
    *S_attributes, *S_utcoffset, *S_astimezone, *S_booked, *S_rule, *S_empty;

/* An Event's fields, read from its slots: the type's member descriptors give their offsets once
 * (what a generic attribute look-up finds again for every read). Another type is read by name. */
enum { F_ID, F_MEMBER, F_KIND, F_OCCURRED, F_REPORTED, F_QUANTITY, F_ATTRIBUTES, FIELDS };
static PyObject **field_names[FIELDS] = {&S_id, &S_member_id, &S_kind, &S_occurred_at, &S_reported_at,
                                         &S_quantity, &S_attributes};
static PyTypeObject *slotted_type;
static Py_ssize_t field_offset[FIELDS];

static void learn_slots(PyTypeObject *type) {
    for (int i = 0; i < FIELDS; i++) {
        PyObject *descriptor = PyDict_GetItemWithError(type->tp_dict, *field_names[i]);
        if (!descriptor || !Py_IS_TYPE(descriptor, &PyMemberDescr_Type) ||
            ((PyMemberDescrObject *)descriptor)->d_member->type != T_OBJECT_EX) {
            PyErr_Clear();
            slotted_type = NULL;
            return;
        }
        field_offset[i] = ((PyMemberDescrObject *)descriptor)->d_member->offset;
    }
    slotted_type = type;
}

static PyObject *field(PyObject *event, int i) {
    if (Py_TYPE(event) != slotted_type) return PyObject_GetAttr(event, *field_names[i]);
    PyObject *value = *(PyObject **)((char *)event + field_offset[i]);
    if (!value) PyErr_SetObject(PyExc_AttributeError, *field_names[i]);
    Py_XINCREF(value);
    return value;
}

/* The attributes' canonical JSON for flat str/int/bool/None values; NULL with no error set
 * when another value needs the Python encoder (the caller falls back to it). */
static int canonical_attributes(Buf *b, PyObject *attributes, int *fallback) {
    *fallback = 0;
    if (!PyDict_CheckExact(attributes)) { *fallback = 1; return 0; }
    if (PyDict_GET_SIZE(attributes) == 0) return 0;
    PyObject *keys = PyDict_Keys(attributes);
    if (!keys) return -1;
    if (PyList_Sort(keys) < 0) { Py_DECREF(keys); return -1; }
    Py_ssize_t mark = b->len;
    int ascii = b->ascii;
    int status = buf_char(b, '{');
    for (Py_ssize_t i = 0; status == 0 && i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        PyObject *value = PyDict_GetItemWithError(attributes, key);
        if (!value || !PyUnicode_CheckExact(key)) { status = value ? 1 : -1; break; }
        if (i && buf_char(b, ',') < 0) { status = -1; break; }
        if (buf_json_string(b, key) < 0 || buf_char(b, ':') < 0) { status = -1; break; }
        if (PyUnicode_CheckExact(value)) {
            status = buf_json_string(b, value);
        } else if (PyLong_CheckExact(value)) {
            int overflow;
            long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
            status = overflow ? 1 : buf_int(b, number);
        } else if (value == Py_True) {
            status = buf_bytes(b, "true", 4);
        } else if (value == Py_False) {
            status = buf_bytes(b, "false", 5);
        } else if (value == Py_None) {
            status = buf_bytes(b, "null", 4);
        } else {
            status = 1;
        }
    }
    Py_DECREF(keys);
    if (status == 1) { b->len = mark; b->ascii = ascii; *fallback = 1; return 0; }
    if (status < 0) return -1;
    return buf_char(b, '}');
}

/* Microseconds since the epoch of an aware datetime; its local fields in ``tz`` in *local. */
static int instant(PyObject *moment, PyObject *tz, long long *micros, PyObject **local) {
    if (!PyDateTime_Check(moment)) {
        PyErr_SetString(PyExc_TypeError, "occurred_at is not a datetime");
        return -1;
    }
    PyObject *zone = PyDateTime_DATE_GET_TZINFO(moment);
    PyObject *offset = zone == Py_None ? Py_NewRef(Py_None) : PyObject_CallMethodOneArg(zone, S_utcoffset, moment);
    if (!offset) return -1;
    if (offset == Py_None) {
        Py_DECREF(offset);
        PyErr_SetString(PyExc_ValueError, "occurred_at is naive");
        return -1;
    }
    long long offset_us = ((long long)PyDateTime_DELTA_GET_DAYS(offset) * 86400 +
                           PyDateTime_DELTA_GET_SECONDS(offset)) * 1000000LL +
                          PyDateTime_DELTA_GET_MICROSECONDS(offset);
    Py_DECREF(offset);
    long long days = days_from_civil(PyDateTime_GET_YEAR(moment), PyDateTime_GET_MONTH(moment),
                                     PyDateTime_GET_DAY(moment));
    long long seconds = days * 86400 + PyDateTime_DATE_GET_HOUR(moment) * 3600 +
                        PyDateTime_DATE_GET_MINUTE(moment) * 60 + PyDateTime_DATE_GET_SECOND(moment);
    *micros = seconds * 1000000LL + PyDateTime_DATE_GET_MICROSECOND(moment) - offset_us;
    if (PyDateTime_DATE_GET_TZINFO(moment) == tz) {
        Py_INCREF(moment);
        *local = moment;
    } else {
        *local = PyObject_CallMethodOneArg(moment, S_astimezone, tz);
        if (!*local) return -1;
    }
    return 0;
}

/* The (day, month) labels of a local datetime, cached per date in ``labels``. */
static PyObject *day_and_month(PyObject *labels, PyObject *local) {
    int y = PyDateTime_GET_YEAR(local), m = PyDateTime_GET_MONTH(local), d = PyDateTime_GET_DAY(local);
    PyObject *key = PyLong_FromLong(y * 10000 + m * 100 + d);
    if (!key) return NULL;
    PyObject *found = PyDict_GetItemWithError(labels, key);
    if (found || PyErr_Occurred()) {
        Py_DECREF(key);
        Py_XINCREF(found);
        return found;
    }
    char text[16];
    snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
    found = Py_BuildValue("(s#s#)", text, (Py_ssize_t)10, text, (Py_ssize_t)7);
    if (found && PyDict_SetItem(labels, key, found) < 0) Py_CLEAR(found);
    Py_DECREF(key);
    return found;
}

static PyObject *hex_text(const unsigned char *digest) {
    PyObject *text = PyUnicode_New(64, 127);
    if (!text) return NULL;
    hex(digest, PyUnicode_DATA(text));
    return text;
}

static int append_new(PyObject *list, PyObject *item) {
    if (!item) return -1;
    int status = PyList_Append(list, item);
    Py_DECREF(item);
    return status;
}

/* run(events, stored, members, kinds, rules, tz, deadline_us, seq, prev, tail_for, canonical_attributes)
 *
 * stored: id → (payload, status) of the call's ids the store knows. members: dict of the
 * engine's member ids. kinds: kind → tuple of (rule index, attribute or
 * None, value) in matching order. rules: per rule index (rule id, rule-set id, version, digest).
 * tail_for(member_id, rule index, month, quantity) → (cents, coefficient text, quantity text,
 * entry tail): the Python side's points and texts, called once per distinct key (cached here).
 *
 * Returns (entries, event_rows, accepted, rejected, duplicates, seq, prev): accepted and
 * duplicates are (index, id); rejected are (index, id, code, message).
 */
static PyObject *run(PyObject *self, PyObject *args) {
    PyObject *events, *stored, *members, *kinds, *rules, *tz, *prev, *tail_for, *python_attributes;
    long long deadline, seq;
    if (!PyArg_ParseTuple(args, "OO!O!O!O!OLLUOO", &events, &PyDict_Type, &stored, &PyDict_Type, &members,
                          &PyDict_Type, &kinds, &PyList_Type, &rules, &tz, &deadline, &seq, &prev, &tail_for,
                          &python_attributes))
        return NULL;
    PyObject *entries = PyList_New(0), *rows = PyList_New(0), *accepted = PyList_New(0);
    PyObject *rejected = PyList_New(0), *duplicates = PyList_New(0);
    PyObject *seen = PyDict_New(), *labels = PyDict_New(), *tails = PyDict_New();
    PyObject *iterator = PyObject_GetIter(events);
    PyObject *result = NULL, *event = NULL;
    Buf payload = {0}, text = {0};
    Py_INCREF(prev);
    if (!entries || !rows || !accepted || !rejected || !duplicates || !seen || !labels || !tails || !iterator)
        goto done;
    for (Py_ssize_t index = 0; (event = PyIter_Next(iterator)); index++) {
        if (index == 0) learn_slots(Py_TYPE(event));
        PyObject *id = field(event, F_ID), *member = NULL, *kind = NULL, *occurred_at = NULL;
        PyObject *reported = NULL, *quantity = NULL, *attributes = NULL, *local = NULL, *day_month = NULL;
        PyObject *row_payload = NULL, *tail = NULL, *rule = NULL;
        int failed = 1;
        if (!id || !(member = field(event, F_MEMBER)) || !(kind = field(event, F_KIND)) ||
            !(occurred_at = field(event, F_OCCURRED)) || !(reported = field(event, F_REPORTED)) ||
            !(quantity = field(event, F_QUANTITY)) || !(attributes = field(event, F_ATTRIBUTES)))
            goto next;
        if (reported != Py_None || !PyLong_CheckExact(quantity)) {
            PyErr_SetString(PyExc_NotImplementedError, "the skeleton books no late reports or decimal quantities");
            goto next;
        }
        long long micros;
        if (instant(occurred_at, tz, &micros, &local) < 0) goto next;
        /* The canonical payload: member, kind, instant, quantity, reported ("") and attributes. */
        payload.len = 0;
        payload.ascii = 1;
        int fallback;
        if (buf_str(&payload, member) < 0 || buf_char(&payload, 0x1f) < 0 || buf_str(&payload, kind) < 0 ||
            buf_char(&payload, 0x1f) < 0 || buf_int(&payload, micros) < 0 || buf_char(&payload, 0x1f) < 0 ||
            buf_int(&payload, PyLong_AsLongLong(quantity)) < 0 || buf_bytes(&payload, "\x1f\x1f", 2) < 0 ||
            canonical_attributes(&payload, attributes, &fallback) < 0)
            goto next;
        if (fallback) {
            PyObject *json = PyObject_CallOneArg(python_attributes, attributes);
            if (!json) goto next;
            int status = buf_str(&payload, json);
            Py_DECREF(json);
            if (status < 0) goto next;
        }
        if (!(row_payload = buf_text(&payload))) goto next;
        /* An id the store knows: a duplicate when its payload is the same, else a conflict. */
        PyObject *known = PyDict_GetItemWithError(stored, id), *status = NULL;
        if (known) {
            status = PyTuple_GET_ITEM(known, 1);
            known = PyTuple_GET_ITEM(known, 0);
        } else if (PyErr_Occurred()) {
            goto next;
        }
        if (known) {
            int same = PyUnicode_Compare(known, row_payload) == 0;
            PyObject *item = same ? Py_BuildValue("(nO)", index, id)
                                  : Py_BuildValue("(nOsN)", index, id, "conflict",
                                                  PyUnicode_FromFormat("id: event %R is already %U with a different payload", id, status));
            if (append_new(same ? duplicates : rejected, item) < 0) goto next;
            failed = 0;
            goto next;
        }
        const char *code = NULL;
        if (!PyDict_Contains(members, member)) code = "unknown_member";
        else if (micros > deadline) code = "invalid";
        PyObject *candidates = code ? NULL : PyDict_GetItemWithError(kinds, kind);
        if (!code && !candidates) {
            if (PyErr_Occurred()) goto next;
            code = "unknown_kind";
        }
        if (candidates == Py_None) { /* a kind whose events the skeleton does not judge (ratings) */
            PyErr_Format(PyExc_NotImplementedError, "the skeleton books no %U events", kind);
            goto next;
        }
        for (Py_ssize_t i = 0; !code && i < PyTuple_GET_SIZE(candidates); i++) {
            PyObject *candidate = PyTuple_GET_ITEM(candidates, i);
            PyObject *attribute = PyTuple_GET_ITEM(candidate, 1);
            if (attribute != Py_None) {
                PyObject *value = PyDict_GetItemWithError(attributes, attribute);
                if (!value) {
                    if (PyErr_Occurred()) goto next;
                    continue;
                }
                /* As the rules' equality: text compares as text; a number as its decimal text. */
                PyObject *expected = PyTuple_GET_ITEM(candidate, 2);
                int equal = 0;
                if (PyUnicode_CheckExact(value)) {
                    equal = PyUnicode_Compare(value, expected) == 0;
                } else if (!PyBool_Check(value) && value != Py_None) {
                    PyObject *text = PyObject_Str(value);
                    if (!text) goto next;
                    equal = PyUnicode_Compare(text, expected) == 0;
                    Py_DECREF(text);
                }
                if (!equal) continue;
            }
            rule = PyTuple_GET_ITEM(candidate, 0);
            break;
        }
        if (!code && !rule) code = "no_matching_rule";
        if (code) {
            if (append_new(rejected, Py_BuildValue("(nOss)", index, id, code, "refused by the skeleton")) < 0) goto next;
            failed = 0;
            goto next;
        }
        /* An id this call booked already: judged after admission, as the pipeline judges it. */
        known = PyDict_GetItemWithError(seen, id);
        if (known || PyErr_Occurred()) {
            if (!known) goto next;
            int same = PyUnicode_Compare(known, row_payload) == 0;
            PyObject *item = same ? Py_BuildValue("(nO)", index, id)
                                  : Py_BuildValue("(nOsN)", index, id, "conflict",
                                                  PyUnicode_FromFormat("id: event %R is already booked with a different payload", id));
            if (append_new(same ? duplicates : rejected, item) < 0) goto next;
            failed = 0;
            goto next;
        }
        if (!(day_month = day_and_month(labels, local))) goto next;
        PyObject *day = PyTuple_GET_ITEM(day_month, 0), *month = PyTuple_GET_ITEM(day_month, 1);
        /* Points and the entry's tail, once per (member, rule, month, quantity). */
        PyObject *key = PyTuple_Pack(4, member, rule, month, quantity);
        if (!key) goto next;
        tail = PyDict_GetItemWithError(tails, key);
        if (tail) {
            Py_INCREF(tail);
        } else if (!PyErr_Occurred()) {
            tail = PyObject_CallFunctionObjArgs(tail_for, member, rule, month, quantity, NULL);
            if (tail && PyDict_SetItem(tails, key, tail) < 0) Py_CLEAR(tail);
        }
        Py_DECREF(key);
        if (!tail) goto next;
        PyObject *meta = PyList_GetItem(rules, PyLong_AsSsize_t(rule));
        if (!meta) goto next;
        /* The entry's canonical text after the previous hash, and its SHA-256. */
        seq += 1;
        text.len = 0;
        text.ascii = 1;
        if (buf_str(&text, prev) < 0 || buf_bytes(&text, "\x1egp1\x1f", 5) < 0 || buf_int(&text, seq) < 0 ||
            buf_char(&text, 0x1f) < 0 || buf_str(&text, member) < 0 || buf_char(&text, 0x1f) < 0 ||
            buf_str(&text, id) < 0 || buf_char(&text, 0x1f) < 0 || buf_str(&text, kind) < 0 ||
            buf_char(&text, 0x1f) < 0 || buf_str(&text, month) < 0 || buf_char(&text, 0x1f) < 0 ||
            buf_str(&text, day) < 0 || buf_char(&text, 0x1f) < 0 || buf_str(&text, PyTuple_GET_ITEM(tail, 3)) < 0 ||
            buf_bytes(&text, "\x1frule\x1f", 6) < 0)
            goto next;
        unsigned char digest[SHA256_DIGEST_LENGTH];
        sha256_bytes(text.data, text.len, digest);
        PyObject *hash = hex_text(digest);
        if (!hash) goto next;
        PyObject *seq_number = PyLong_FromLongLong(seq);
        if (!seq_number) { Py_DECREF(hash); goto next; }
        PyObject *entry = PyTuple_Pack(17, seq_number, member, id, kind, month, day,
                                       PyTuple_GET_ITEM(tail, 0), PyTuple_GET_ITEM(tail, 1), PyTuple_GET_ITEM(tail, 2),
                                       PyTuple_GET_ITEM(meta, 0), PyTuple_GET_ITEM(meta, 1), PyTuple_GET_ITEM(meta, 2),
                                       PyTuple_GET_ITEM(meta, 3), S_rule, S_empty, prev, hash);
        Py_DECREF(seq_number);
        Py_SETREF(prev, hash);
        if (append_new(entries, entry) < 0) goto next;
        PyObject *occurred = PyLong_FromLongLong(micros);
        if (!occurred) goto next;
        PyObject *own = PyTuple_Pack(10, id, member, kind, occurred, month, S_booked, row_payload, S_empty, S_empty,
                                     S_empty);
        Py_DECREF(occurred);
        if (append_new(rows, own) < 0 || append_new(accepted, Py_BuildValue("(nO)", index, id)) < 0 ||
            PyDict_SetItem(seen, id, row_payload) < 0)
            goto next;
        failed = 0;
    next:
        Py_XDECREF(id); Py_XDECREF(member); Py_XDECREF(kind); Py_XDECREF(occurred_at); Py_XDECREF(reported);
        Py_XDECREF(quantity); Py_XDECREF(attributes); Py_XDECREF(local); Py_XDECREF(day_month);
        Py_XDECREF(row_payload); Py_XDECREF(tail);
        Py_DECREF(event);
        if (failed) goto done;
    }
    if (!PyErr_Occurred())
        result = Py_BuildValue("(OOOOOLO)", entries, rows, accepted, rejected, duplicates, seq, prev);
done:
    PyMem_Free(payload.data);
    PyMem_Free(text.data);
    Py_XDECREF(iterator); Py_XDECREF(entries); Py_XDECREF(rows); Py_XDECREF(accepted); Py_XDECREF(rejected);
    Py_XDECREF(duplicates); Py_XDECREF(seen); Py_XDECREF(labels); Py_XDECREF(tails); Py_DECREF(prev);
    return result;
}

static PyMethodDef methods[] = {
    {"run", run, METH_VARARGS, "Book a call's events in one native pass (see the module source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_gp_native_skeleton", NULL, -1, methods};

PyMODINIT_FUNC PyInit__gp_native_skeleton(void) {
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) return NULL;
#define INTERN(var, text) if (!(var = PyUnicode_InternFromString(text))) return NULL
    INTERN(S_id, "id"); INTERN(S_member_id, "member_id"); INTERN(S_kind, "kind");
    INTERN(S_occurred_at, "occurred_at"); INTERN(S_reported_at, "reported_at"); INTERN(S_quantity, "quantity");
    INTERN(S_attributes, "attributes"); INTERN(S_utcoffset, "utcoffset"); INTERN(S_astimezone, "astimezone");
    INTERN(S_booked, "booked"); INTERN(S_rule, "rule"); INTERN(S_empty, "");
#undef INTERN
    return PyModule_Create(&module);
}

/* A native verify, tried: issue 13's verify() target (≥ 500,000 entries/s on SQLite) measured
 * against what its reads cost without a Python object per row.
 *
 * chain(path, select): the chain pass in C — every entry row read with SQLite's C API in seq
 * order, its canonical text rebuilt (as gridpoints.ledger.chain.entry_text / entry_tail), its
 * SHA-256 after the previous hash recomputed and compared with the stored hash and the next
 * row's prev_hash. Returns (entries verified, first bad seq or None).
 * step(path, sql): every row of a statement stepped and every column read as text — what a pass
 * over those rows costs before any check. Returns the row count.
 * once(path, …): the design that reads each table once, verifying (see "once" below and
 * benchmarks/native_core/once.py). Returns a dict of what it found. Optionally (lo, hi,
 * verify_chain, raw_lines) one share of it, split by event id over processes
 * (benchmarks/native_core/split.py); without them it is the whole of it.
 * Measuring instruments only (see benchmarks/native_core/__init__.py); nothing of it ships.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co: no provider fetch per digest */
#include <Python.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "text.h"
#include "intake.h"

static int text_column(Text *t, sqlite3_stmt *row, int column) {
    const unsigned char *value = sqlite3_column_text(row, column);
    return text_add(t, value ? (const char *)value : "", (size_t)sqlite3_column_bytes(row, column));
}

/* Hundredths as gridpoints.ledger.chain.points_text writes them: 12345 → 123.45, -300 → -3.00. */
static int text_points(Text *t, long long cents) {
    unsigned long long magnitude = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
    if (cents < 0 && text_add(t, "-", 1) < 0) return -1;
    if (text_int(t, (long long)(magnitude / 100)) < 0) return -1;
    char part[3] = {'.', (char)('0' + magnitude % 100 / 10), (char)('0' + magnitude % 10)};
    return text_add(t, part, 3);
}

static sqlite3 *open_read_only_with(const char *path, int flags) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | flags, NULL) != SQLITE_OK) {
        PyErr_Format(PyExc_OSError, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static sqlite3 *open_read_only(const char *path) { return open_read_only_with(path, 0); }

/* One entry row (ENTRY_COLUMNS order: seq, member … ref (0–14), prev_hash, hash) against the
 * chain: its seq is `expected`, its prev_hash links to `prev`, and its hash is the SHA-256 of
 * `prev` ‖ 0x1E ‖ its canonical text, which then becomes `prev`. 0: it holds; 1: it does not;
 * -1: out of memory. `text` is scratch space kept between rows. */
static int chain_row(sqlite3_stmt *row, long long expected, char prev[65], Text *text) {
    const unsigned char *linked = sqlite3_column_text(row, 15);
    const unsigned char *stored = sqlite3_column_text(row, 16);
    if (sqlite3_column_type(row, 0) != SQLITE_INTEGER || sqlite3_column_int64(row, 0) != expected ||
        sqlite3_column_type(row, 6) != SQLITE_INTEGER || !linked || !stored ||
        sqlite3_column_bytes(row, 15) != 64 || memcmp(linked, prev, 64) != 0)
        return 1;
    text->len = 0;
    if (text_add(text, prev, 64) < 0 || text_add(text, "\x1egp1\x1f", 5) < 0 || text_int(text, expected) < 0)
        return -1;
    for (int column = 1; column <= 14; column++) {
        if (text_add(text, "\x1f", 1) < 0 ||
            (column == 6 ? text_points(text, sqlite3_column_int64(row, 6)) : text_column(text, row, column)) < 0)
            return -1;
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    sha256_bytes(text->data, text->len, digest);
    hex(digest, prev);
    if (sqlite3_column_bytes(row, 16) != 64 || memcmp(stored, prev, 64) != 0) return 1;
    return 0;
}

static PyObject *chain(PyObject *self, PyObject *args) {
    const char *path, *select;
    if (!PyArg_ParseTuple(args, "ss", &path, &select)) return NULL;
    sqlite3 *db = open_read_only(path);
    if (!db) return NULL;
    sqlite3_stmt *row = NULL;
    if (sqlite3_prepare_v2(db, select, -1, &row, NULL) != SQLITE_OK) {
        PyErr_Format(PyExc_ValueError, "cannot prepare the entries statement: %s", sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    Text text = {0};
    char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
    long long expected = 1, bad = 0;
    int status;
    Py_BEGIN_ALLOW_THREADS
    while ((status = sqlite3_step(row)) == SQLITE_ROW) {
        int verdict = chain_row(row, expected, prev, &text);
        if (verdict != 0) {
            bad = verdict > 0 ? expected : -1;
            break;
        }
        expected += 1;
    }
    Py_END_ALLOW_THREADS
    free(text.data);
    if (bad == 0 && status != SQLITE_DONE) {
        PyErr_Format(PyExc_OSError, "reading the entries failed: %s", sqlite3_errmsg(db));
    } else if (bad < 0) {
        PyErr_NoMemory();
    }
    sqlite3_finalize(row);
    sqlite3_close(db);
    if (PyErr_Occurred()) return NULL;
    if (bad) return Py_BuildValue("(LL)", bad - 1, bad);
    return Py_BuildValue("(LO)", expected - 1, Py_None);
}

static PyObject *step(PyObject *self, PyObject *args) {
    const char *path, *sql;
    if (!PyArg_ParseTuple(args, "ss", &path, &sql)) return NULL;
    sqlite3 *db = open_read_only(path);
    if (!db) return NULL;
    sqlite3_stmt *row = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &row, NULL) != SQLITE_OK) {
        PyErr_Format(PyExc_ValueError, "cannot prepare the statement: %s", sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    long long rows = 0;
    size_t bytes = 0;
    int status;
    Py_BEGIN_ALLOW_THREADS
    int columns = sqlite3_column_count(row);
    while ((status = sqlite3_step(row)) == SQLITE_ROW) {
        for (int column = 0; column < columns; column++) {
            sqlite3_column_text(row, column);
            bytes += (size_t)sqlite3_column_bytes(row, column);
        }
        rows += 1;
    }
    Py_END_ALLOW_THREADS
    if (status != SQLITE_DONE) PyErr_Format(PyExc_OSError, "stepping failed: %s", sqlite3_errmsg(db));
    sqlite3_finalize(row);
    sqlite3_close(db);
    if (PyErr_Occurred()) return NULL;
    return Py_BuildValue("(Ln)", rows, (Py_ssize_t)bytes);
}

/* ---- once: each table read once (issue 13's design for verify, tried) ----
 *
 * Pass 1 reads the entries in seq order: the chain (chain_row), the decision entries and the
 * rule-set-version changes verify notes on the way, the hashes at anchored seqs, and, for each
 * event an entry of EVENT_REASONS belongs to, one slot of a hash table keyed by event id: its
 * first own entry (seq, member, kind, quantity, reason) and its awards — what
 * Store.event_bindings' grouped join computes. Pass 2 reads the events in id order (the primary
 * key of the WITHOUT ROWID table: no sort): each row against its slot on bindings._events' fast
 * path, the rest handed back to Python's _event_problem; and each row's event_line hashed into
 * its intake's digest — intake_digest hashes an intake's lines in event-id order, and SQLite's
 * BINARY order of UTF-8 text is Python's code-point order of str. Both passes run in one read
 * transaction, so they see one snapshot. The GIL is held throughout: rows off the fast path
 * become Python objects as they come, and a row whose columns have types an event row is not
 * written with gets its event_line from Python (odd_line), so its TypeError is Python's.
 *
 * Split by event id (NativeVerifySplit), each process calls once with its range [lo, hi) of ids
 * (str; None: unbounded on that side) and an events statement that selects that range through
 * its :lo and :hi parameters: it still reads every entry, but keeps slots (and orphans) only for
 * ids in its range — in_range applies the statement's own order, so an id is one range's — and
 * scans only its range's rows. One process verifies the chain (verify_chain); the others only
 * read the entries. With raw_lines each intake's group is its rows' 32-byte event_line digests
 * in id order, which the parent feeds, range after range, into the intake's one SHA-256. */

/* EVENT_REASONS (gridpoints.schema); the first three are _FULL_QUANTITY's, the fast path's. */
static const char *const EVENT_REASON_NAMES[] = {"rule", "cap", "correction", "limit", "derived"};
enum { EVENT_REASON_COUNT = 5, FULL_QUANTITY_REASONS = 3, DERIVED = 4 };
enum { UNDECIDED = 0, HELD_AT_INTAKE = 1, BOOKED_AT_INTAKE = 2 };

typedef struct {
    uint64_t hash;       /* of the event id; 0 marks an empty slot */
    size_t record;       /* arena offset: the id, then (with an own entry) its member, kind, quantity */
    long long first_seq; /* seq of the first own entry; 0 when it has none (a decided event only) */
    uint32_t awards;     /* own entries not derived from the event (schema.is_derived) */
    uint8_t reason;      /* the first own entry's reason: an index in EVENT_REASON_NAMES */
    uint8_t intake_status; /* what _status_at_intake makes a decided event's status; UNDECIDED */
    uint8_t visited;     /* its row was read in pass 2 */
} Slot;

/* The hash table: open addressing, linear probing, a power-of-two capacity. Records in the arena
 * are an id (uint32 length, bytes), then per entry column a SQLite type byte, uint32 length, bytes. */
typedef struct {
    Slot *slots;
    size_t capacity, used;
    Text arena;
} Events;

static uint64_t id_hash(const void *bytes, size_t len) {
    const unsigned char *p = bytes;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h ? h : 1;
}

static int events_grow(Events *events) {
    size_t capacity = events->capacity ? events->capacity * 2 : 1024;
    Slot *slots = calloc(capacity, sizeof(Slot));
    if (!slots) return -1;
    for (size_t i = 0; i < events->capacity; i++) {
        Slot *old = &events->slots[i];
        if (!old->hash) continue;
        size_t at = old->hash & (capacity - 1);
        while (slots[at].hash) at = (at + 1) & (capacity - 1);
        slots[at] = *old;
    }
    free(events->slots);
    events->slots = slots;
    events->capacity = capacity;
    return 0;
}

static const unsigned char *record_id(const Events *events, const Slot *slot, uint32_t *len) {
    const char *at = events->arena.data + slot->record;
    memcpy(len, at, sizeof *len);
    return (const unsigned char *)at + sizeof *len;
}

/* The slot of event `id`, or NULL; with `create`, a new slot (its record: the id) when there is
 * none, *created set. Returns -1 when out of memory. */
static int events_find(Events *events, const void *id, size_t len, int create, Slot **found, int *created) {
    *found = NULL;
    if (created) *created = 0;
    if (len > UINT32_MAX) return 0; /* longer than SQLite keeps: no such id */
    if (create && (events->used + 1) * 10 > events->capacity * 7 && events_grow(events) < 0) return -1;
    if (!events->capacity) return 0;
    uint64_t h = id_hash(id, len);
    size_t at = h & (events->capacity - 1);
    for (;; at = (at + 1) & (events->capacity - 1)) {
        Slot *slot = &events->slots[at];
        if (!slot->hash) break;
        uint32_t known;
        const unsigned char *bytes;
        if (slot->hash == h && (bytes = record_id(events, slot, &known), known == len) && memcmp(bytes, id, len) == 0) {
            *found = slot;
            return 0;
        }
    }
    if (!create) return 0;
    Slot *slot = &events->slots[at];
    uint32_t length = (uint32_t)len;
    size_t record = events->arena.len;
    if (text_add(&events->arena, &length, sizeof length) < 0 || text_add(&events->arena, id, len) < 0) return -1;
    *slot = (Slot){.hash = h, .record = record};
    events->used += 1;
    *found = slot;
    if (created) *created = 1;
    return 0;
}

/* A column's value as its bytes: a BLOB's, otherwise its text (NULL: none). */
static const void *column_value(sqlite3_stmt *row, int column, int *type, size_t *len) {
    *type = sqlite3_column_type(row, column);
    const void *value = *type == SQLITE_BLOB ? sqlite3_column_blob(row, column) : (const void *)sqlite3_column_text(row, column);
    *len = (size_t)sqlite3_column_bytes(row, column);
    return value ? value : "";
}

static int record_column(Text *arena, sqlite3_stmt *row, int column) {
    int type;
    size_t len;
    const void *value = column_value(row, column, &type, &len);
    uint8_t type_byte = (uint8_t)type;
    uint32_t length = (uint32_t)len;
    if (text_add(arena, &type_byte, 1) < 0 || text_add(arena, &length, sizeof length) < 0) return -1;
    return text_add(arena, value, len);
}

/* The entry columns of a slot's record, in order, each as (type, bytes, length). */
typedef struct {
    int type;
    const char *bytes;
    uint32_t len;
} Field;

static void record_fields(const Events *events, const Slot *slot, Field fields[3]) {
    uint32_t id_len;
    const char *at = (const char *)record_id(events, slot, &id_len) + id_len;
    for (int i = 0; i < 3; i++) {
        fields[i].type = (unsigned char)*at;
        memcpy(&fields[i].len, at + 1, sizeof fields[i].len);
        fields[i].bytes = at + 1 + sizeof fields[i].len;
        at = fields[i].bytes + fields[i].len;
    }
}

/* A value as Python's sqlite3 gives it: int, float, str, bytes or None. */
static PyObject *py_bytes_as(int type, const char *bytes, size_t len) {
    switch (type) {
    case SQLITE_NULL: Py_RETURN_NONE;
    case SQLITE_BLOB: return PyBytes_FromStringAndSize(bytes, (Py_ssize_t)len);
    default: return PyUnicode_DecodeUTF8(bytes, (Py_ssize_t)len, NULL);
    }
}

static PyObject *py_column(sqlite3_stmt *row, int column) {
    switch (sqlite3_column_type(row, column)) {
    case SQLITE_INTEGER: return PyLong_FromLongLong(sqlite3_column_int64(row, column));
    case SQLITE_FLOAT: return PyFloat_FromDouble(sqlite3_column_double(row, column));
    default: {
        int type;
        size_t len;
        const void *value = column_value(row, column, &type, &len);
        return py_bytes_as(type, value, len);
    }
    }
}

/* Entry columns of a text-affinity table are TEXT or BLOB (a number is stored as its text). */
static PyObject *py_field(const Field *field) { return py_bytes_as(field->type, field->bytes, field->len); }

static int is_text(sqlite3_stmt *row, int column, const char *text) {
    size_t len = strlen(text);
    return sqlite3_column_type(row, column) == SQLITE_TEXT && (size_t)sqlite3_column_bytes(row, column) == len &&
           memcmp(sqlite3_column_text(row, column), text, len) == 0;
}

static int reason_index(sqlite3_stmt *row, int column) {
    for (int i = 0; i < EVENT_REASON_COUNT; i++)
        if (is_text(row, column, EVENT_REASON_NAMES[i])) return i;
    return -1;
}

/* Whether two columns hold the same type and bytes (Python's == of what sqlite3 gives). */
static int same_field(const Field *field, sqlite3_stmt *row, int column) {
    int type;
    size_t len;
    const void *value = column_value(row, column, &type, &len);
    return field->type == type && field->len == len && memcmp(field->bytes, value, len) == 0;
}

/* Appends a list item, dropping the caller's reference; -1 (exception set) on failure. */
static int append_new(PyObject *list, PyObject *item) {
    if (!item) return -1;
    int failed = PyList_Append(list, item);
    Py_DECREF(item);
    return failed;
}

/* An EventBinding's values: the row's columns (None without a row), the first own entry's
 * (None without one) and the awards. */
static PyObject *binding(const Events *events, const Slot *slot, sqlite3_stmt *row, PyObject *event_id) {
    PyObject *values = PyTuple_New(12);
    if (!values) return NULL;
    Py_INCREF(event_id);
    PyTuple_SET_ITEM(values, 0, event_id);
    static const int row_columns[5] = {1, 2, 3, 5, 6}; /* member, kind, occurred_us, status, payload */
    for (int i = 0; i < 5; i++) {
        PyObject *value = row ? py_column(row, row_columns[i]) : Py_NewRef(Py_None);
        if (!value) { Py_DECREF(values); return NULL; }
        PyTuple_SET_ITEM(values, 1 + i, value);
    }
    int own = slot && slot->first_seq;
    Field fields[3];
    if (own) record_fields(events, slot, fields);
    for (int i = 0; i < 5; i++) {
        PyObject *value;
        if (!own) value = Py_NewRef(Py_None);
        else if (i == 0) value = PyLong_FromLongLong(slot->first_seq);
        else if (i == 4) value = PyUnicode_FromString(EVENT_REASON_NAMES[slot->reason]);
        else value = py_field(&fields[i - 1]);
        if (!value) { Py_DECREF(values); return NULL; }
        PyTuple_SET_ITEM(values, 6 + i, value);
    }
    PyObject *awards = PyLong_FromUnsignedLong(own ? slot->awards : 0);
    if (!awards) { Py_DECREF(values); return NULL; }
    PyTuple_SET_ITEM(values, 11, awards);
    return values;
}

/* bindings._events' fast path: an undecided booked row whose one award (reason rule, cap or
 * correction) has the row's member and kind, and whose payload starts with member ␟ kind ␟
 * occurred_us ␟ the award's quantity ␟. `scratch` holds that prefix. */
static int fast_path(const Events *events, const Slot *slot, sqlite3_stmt *row, Text *scratch, int *failed) {
    if (!slot || !slot->first_seq || slot->intake_status != UNDECIDED || slot->awards != 1 ||
        slot->reason >= FULL_QUANTITY_REASONS || !is_text(row, 5, "booked") ||
        sqlite3_column_type(row, 1) != SQLITE_TEXT || sqlite3_column_type(row, 2) != SQLITE_TEXT ||
        sqlite3_column_type(row, 3) != SQLITE_INTEGER || sqlite3_column_type(row, 6) != SQLITE_TEXT)
        return 0;
    Field fields[3];
    record_fields(events, slot, fields);
    if (fields[2].type != SQLITE_TEXT || !same_field(&fields[0], row, 1) || !same_field(&fields[1], row, 2)) return 0;
    scratch->len = 0;
    if (text_column(scratch, row, 1) < 0 || text_add(scratch, "\x1f", 1) < 0 || text_column(scratch, row, 2) < 0 ||
        text_add(scratch, "\x1f", 1) < 0 || text_int(scratch, sqlite3_column_int64(row, 3)) < 0 ||
        text_add(scratch, "\x1f", 1) < 0 || text_add(scratch, fields[2].bytes, fields[2].len) < 0 ||
        text_add(scratch, "\x1f", 1) < 0) {
        *failed = 1;
        return 0;
    }
    const unsigned char *payload = sqlite3_column_text(row, 6);
    return payload && (size_t)sqlite3_column_bytes(row, 6) >= scratch->len &&
           memcmp(payload, scratch->data, scratch->len) == 0;
}

/* Columns of the events statement: EVENT_COLUMNS, then intake_seq. */
enum { EVENT_ID, MEMBER, KIND, OCCURRED_US, PERIOD, STATUS, PAYLOAD, HOLD_CHECK, HOLD_REASON, HOLD_REF, INTAKE_SEQ };

/* event_line of a row whose columns have the types it is written with (TEXT, occurred_us an
 * INTEGER), with `status` (NULL: the row's) for the status at intake. */
static int event_line_c(sqlite3_stmt *row, const char *status, Text *text, unsigned char line[32]) {
    text->len = 0;
    for (int column = EVENT_ID; column <= HOLD_REF; column++) {
        int failed;
        if (column == OCCURRED_US) {
            failed = text_int(text, sqlite3_column_int64(row, column)) < 0 || text_add(text, ";", 1) < 0;
        } else if (column == STATUS && status) {
            failed = text_counted(text, (const unsigned char *)status, strlen(status)) < 0;
        } else {
            failed = text_counted(text, sqlite3_column_text(row, column), (size_t)sqlite3_column_bytes(row, column)) < 0;
        }
        if (failed) return -1;
    }
    sha256_bytes(text->data, text->len, line);
    return 0;
}

static int typed_as_written(sqlite3_stmt *row) {
    for (int column = EVENT_ID; column <= HOLD_REF; column++)
        if (sqlite3_column_type(row, column) != (column == OCCURRED_US ? SQLITE_INTEGER : SQLITE_TEXT)) return 0;
    return 1;
}

/* event_line from Python (odd_line) for a row of unexpected types: 1 with `line` set, 0 when
 * it raised TypeError or ValueError (recorded in *wrong_type, the first only), -1 otherwise. */
static int event_line_py(sqlite3_stmt *row, const char *status, PyObject *odd_line, PyObject *event_id,
                         PyObject **wrong_type, unsigned char line[32]) {
    PyObject *values = PyTuple_New(10);
    if (!values) return -1;
    for (int column = EVENT_ID; column <= HOLD_REF; column++) {
        PyObject *value = column == STATUS && status ? PyUnicode_FromString(status) : py_column(row, column);
        if (!value) { Py_DECREF(values); return -1; }
        PyTuple_SET_ITEM(values, column, value);
    }
    PyObject *result = PyObject_CallOneArg(odd_line, values);
    Py_DECREF(values);
    if (!result) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError) && !PyErr_ExceptionMatches(PyExc_ValueError)) return -1;
        PyObject *type, *error, *traceback;
        PyErr_Fetch(&type, &error, &traceback);
        PyErr_NormalizeException(&type, &error, &traceback);
        if (!*wrong_type) {
            PyObject *message = error ? PyObject_Str(error) : NULL;
            *wrong_type = message ? PyTuple_Pack(2, event_id, message) : NULL;
            Py_XDECREF(message);
        }
        Py_XDECREF(type);
        Py_XDECREF(error);
        Py_XDECREF(traceback);
        return *wrong_type ? 0 : -1;
    }
    if (!PyBytes_Check(result) || PyBytes_GET_SIZE(result) != 32) {
        PyErr_SetString(PyExc_TypeError, "odd_line must return the 32 bytes of a SHA-256 digest");
        Py_DECREF(result);
        return -1;
    }
    memcpy(line, PyBytes_AS_STRING(result), 32);
    Py_DECREF(result);
    return 1;
}

/* A bound of an event-id range: UTF-8 text (the events' ids are text), or none. */
typedef struct {
    int present;
    const char *bytes; /* the str argument's own UTF-8, alive for the call */
    size_t len;
} Bound;

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *entries, *events, *intakes;
    int in_transaction;
    Events table;
    Text text, scratch;
    long long *anchors;
    SHA256_CTX *digests;
    long long *counts;
    unsigned char *present; /* intake seq → whether the intakes table has it */
    PyObject *result;       /* the dict returned */
    /* Split by event id (NativeVerifySplit): slots and event rows only for ids in [lo, hi)
     * (no bound: the whole table); verify_chain 0: the entries are only read, no chain, no
     * decision entries, versions or anchors; lines (raw lines asked): per intake seq, its rows'
     * event_line digests in id order instead of a digest, as SHA-256 cannot be merged. */
    Bound lo, hi;
    int verify_chain;
    Text *lines;
    Py_ssize_t line_count;
} Once;

/* An id against a text bound in SQLite's order of the events' primary key (BINARY): NULL and
 * numbers before any text, BLOBs after it, text by its bytes with a prefix first. */
static int compare_to_bound(int type, const void *bytes, size_t len, const Bound *bound) {
    if (type != SQLITE_TEXT) return type == SQLITE_BLOB ? 1 : -1;
    int order = memcmp(bytes, bound->bytes, len < bound->len ? len : bound->len);
    if (order) return order;
    return len < bound->len ? -1 : len > bound->len;
}

/* Whether an event id lies in this pass's range [lo, hi): the events statement's own test. */
static int in_range(const Once *once, int type, const void *bytes, size_t len) {
    return (!once->lo.present || compare_to_bound(type, bytes, len, &once->lo) >= 0) &&
           (!once->hi.present || compare_to_bound(type, bytes, len, &once->hi) < 0);
}

static int column_in_range(const Once *once, sqlite3_stmt *row, int column) {
    if (!once->lo.present && !once->hi.present) return 1;
    int type;
    size_t len;
    const void *value = column_value(row, column, &type, &len);
    return in_range(once, type, value, len);
}

static void once_free(Once *once) {
    sqlite3_finalize(once->entries);
    sqlite3_finalize(once->events);
    sqlite3_finalize(once->intakes);
    if (once->in_transaction) sqlite3_exec(once->db, "COMMIT", NULL, NULL, NULL); /* a read: nothing to keep */
    sqlite3_close(once->db);
    free(once->table.slots);
    free(once->table.arena.data);
    free(once->text.data);
    free(once->scratch.data);
    free(once->anchors);
    free(once->digests);
    free(once->counts);
    free(once->present);
    for (Py_ssize_t seq = 0; once->lines && seq <= once->line_count; seq++) free(once->lines[seq].data);
    free(once->lines);
}

static int set_item(PyObject *dict, const char *key, PyObject *value) {
    if (!value) return -1;
    int failed = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return failed;
}

static int prepare(Once *once, const char *sql, sqlite3_stmt **statement, const char *what) {
    if (sqlite3_prepare_v2(once->db, sql, -1, statement, NULL) == SQLITE_OK) return 0;
    PyErr_Format(PyExc_ValueError, "cannot prepare the %s statement: %s", what, sqlite3_errmsg(once->db));
    return -1;
}

static int stepped(Once *once, int status, const char *what) {
    if (status == SQLITE_DONE) return 0;
    PyErr_Format(PyExc_OSError, "reading the %s failed: %s", what, sqlite3_errmsg(once->db));
    return -1;
}

/* Pass 1. Sets "entries", "bad_seq", "decision_entries", "version_changes", "anchor_hashes";
 * returns 1 when the chain holds, 0 when it breaks, -1 on error. */
static int read_entries(Once *once, Py_ssize_t anchor_count) {
    PyObject *result = once->result;
    PyObject *decisions = PyList_New(0), *versions = PyList_New(0), *anchored = PyDict_New();
    if (set_item(result, "decision_entries", Py_XNewRef(decisions)) < 0 ||
        set_item(result, "version_changes", Py_XNewRef(versions)) < 0 ||
        set_item(result, "anchor_hashes", Py_XNewRef(anchored)) < 0) {
        Py_XDECREF(decisions); Py_XDECREF(versions); Py_XDECREF(anchored);
        return -1;
    }
    Py_DECREF(decisions); Py_DECREF(versions); Py_DECREF(anchored); /* the dict holds them */
    char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
    long long expected = 1, bad = 0;
    Py_ssize_t next_anchor = 0;
    /* EntryFacts.tap's last (rule set, version, digest), as (type, bytes); it starts as three "". */
    Text last[3] = {{0}};
    int last_type[3] = {SQLITE_TEXT, SQLITE_TEXT, SQLITE_TEXT};
    int status, failed = 0;
    while (!failed && (status = sqlite3_step(once->entries)) == SQLITE_ROW) {
        sqlite3_stmt *row = once->entries;
        int verdict = once->verify_chain ? chain_row(row, expected, prev, &once->text) : 0;
        if (verdict < 0) { PyErr_NoMemory(); failed = 1; break; }
        if (verdict > 0) { bad = expected; break; }
        if (!once->verify_chain) {
            /* Only read: the chain and what verify notes on the way are another pass's. */
        } else if (is_text(row, 13, "decision")) {
            failed = append_new(decisions, Py_BuildValue("(LN)", expected, py_column(row, 12))) < 0;
        } else {
            int changed = 0;
            for (int i = 0; i < 3 && !changed; i++) {
                int type;
                size_t len;
                const void *value = column_value(row, 10 + i, &type, &len);
                changed = type != last_type[i] || len != last[i].len || memcmp(value, last[i].data ? last[i].data : "", len) != 0;
            }
            if (changed) {
                for (int i = 0; i < 3 && !failed; i++) {
                    int type;
                    size_t len;
                    const void *value = column_value(row, 10 + i, &type, &len);
                    last[i].len = 0;
                    last_type[i] = type;
                    if (text_add(&last[i], value, len) < 0) { PyErr_NoMemory(); failed = 1; }
                }
                failed = failed || append_new(versions, Py_BuildValue("(LNNN)", expected, py_column(row, 10),
                                                                      py_column(row, 11), py_column(row, 12))) < 0;
            }
        }
        while (!failed && once->verify_chain && next_anchor < anchor_count && once->anchors[next_anchor] <= expected) {
            if (once->anchors[next_anchor] == expected) {
                PyObject *key = PyLong_FromLongLong(expected), *value = PyUnicode_FromStringAndSize(prev, 64);
                failed = !key || !value || PyDict_SetItem(anchored, key, value) < 0;
                Py_XDECREF(key);
                Py_XDECREF(value);
            }
            next_anchor += 1;
        }
        int reason = failed ? -1 : reason_index(row, 13);
        if (reason >= 0 && column_in_range(once, row, 2)) {
            /* An own entry of its event (EVENT_REASONS): its slot, its first entry, its awards. */
            if (sqlite3_column_type(row, 2) != SQLITE_TEXT) {
                /* No TEXT id of an event row equals it: Store.event_bindings gives it as an event
                 * without its row. */
                PyObject *orphan = Py_BuildValue("(NOOOOOLNNNsi)", py_column(row, 2), Py_None, Py_None, Py_None, Py_None,
                                                 Py_None, expected, py_column(row, 1), py_column(row, 3),
                                                 py_column(row, 8), EVENT_REASON_NAMES[reason], reason != DERIVED);
                PyObject *orphans = PyDict_GetItemString(result, "orphans");
                failed = append_new(orphans, orphan) < 0;
            } else {
                const void *id = sqlite3_column_text(row, 2);
                size_t id_len = (size_t)sqlite3_column_bytes(row, 2);
                Slot *slot;
                int created;
                if (events_find(&once->table, id, id_len, 1, &slot, &created) < 0) { PyErr_NoMemory(); failed = 1; break; }
                if (created) {
                    slot->first_seq = expected;
                    slot->reason = (uint8_t)reason;
                    if (record_column(&once->table.arena, row, 1) < 0 || record_column(&once->table.arena, row, 3) < 0 ||
                        record_column(&once->table.arena, row, 8) < 0) { PyErr_NoMemory(); failed = 1; break; }
                }
                /* schema.is_derived: reason "derived", or ref the event's own id. */
                int derived = reason == DERIVED || (sqlite3_column_type(row, 14) == SQLITE_TEXT &&
                                                    (size_t)sqlite3_column_bytes(row, 14) == id_len &&
                                                    memcmp(sqlite3_column_text(row, 14), id, id_len) == 0);
                slot->awards += !derived;
            }
        }
        expected += 1;
    }
    for (int i = 0; i < 3; i++) free(last[i].data);
    if (failed) return -1;
    if (!bad && stepped(once, status, "entries") < 0) return -1;
    if (set_item(result, "entries", PyLong_FromLongLong(expected - 1)) < 0) return -1;
    if (set_item(result, "bad_seq", bad ? PyLong_FromLongLong(bad) : Py_NewRef(Py_None)) < 0) return -1;
    return bad ? 0 : 1;
}

/* The decided events' slots (created when they have no own entry), with their status at intake. */
static int note_decided(Once *once, PyObject *decided) {
    PyObject *key, *value;
    Py_ssize_t at = 0;
    while (PyDict_Next(decided, &at, &key, &value)) {
        Py_ssize_t len;
        const char *id = PyUnicode_AsUTF8AndSize(key, &len);
        const char *status = PyUnicode_AsUTF8(value);
        if (!id || !status) return -1;
        if (!in_range(once, SQLITE_TEXT, id, (size_t)len)) continue;
        Slot *slot;
        if (events_find(&once->table, id, (size_t)len, 1, &slot, NULL) < 0) { PyErr_NoMemory(); return -1; }
        slot->intake_status = strcmp(status, "held") == 0 ? HELD_AT_INTAKE : BOOKED_AT_INTAKE;
    }
    return 0;
}

/* The intakes table (few rows), handed back as it is; one SHA-256 context per intake seq. */
static int read_intakes(Once *once, Py_ssize_t *count) {
    PyObject *rows = PyList_New(0);
    if (set_item(once->result, "intake_rows", Py_XNewRef(rows)) < 0) { Py_XDECREF(rows); return -1; }
    Py_DECREF(rows);
    int status;
    while ((status = sqlite3_step(once->intakes)) == SQLITE_ROW) {
        PyObject *row = PyTuple_New(5);
        if (!row) return -1;
        for (int column = 0; column < 5; column++) {
            PyObject *value = py_column(once->intakes, column);
            if (!value) { Py_DECREF(row); return -1; }
            PyTuple_SET_ITEM(row, column, value);
        }
        if (append_new(rows, row) < 0) return -1;
    }
    if (stepped(once, status, "intakes") < 0) return -1;
    Py_ssize_t n = PyList_GET_SIZE(rows);
    once->present = calloc((size_t)n + 1, 1);
    once->digests = malloc(((size_t)n + 1) * sizeof(SHA256_CTX));
    once->counts = calloc((size_t)n + 1, sizeof(long long));
    if (!once->present || !once->digests || !once->counts) { PyErr_NoMemory(); return -1; }
    if (once->line_count < 0) {
        once->lines = calloc((size_t)n + 1, sizeof(Text));
        if (!once->lines) { PyErr_NoMemory(); return -1; }
        once->line_count = n;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *seq = PyTuple_GET_ITEM(PyList_GET_ITEM(rows, i), 0);
        long long value = PyLong_Check(seq) ? PyLong_AsLongLong(seq) : -1;
        if (value == -1 && PyErr_Occurred()) return -1;
        if (value >= 1 && value <= n) once->present[value] = 1;
    }
    for (Py_ssize_t seq = 1; seq <= n; seq++) {
        SHA256_Init(&once->digests[seq]);
        SHA256_Update(&once->digests[seq], "gpi1", 4);
    }
    *count = n;
    return 0;
}

/* Pass 2: the events in id order. Sets "handed_back", "orphans" (appended to), "unbound",
 * "stray", "wrong_type", "intake_groups". */
static int read_events(Once *once, Py_ssize_t intakes, PyObject *odd_line) {
    PyObject *result = once->result;
    PyObject *handed_back = PyList_New(0);
    if (set_item(result, "handed_back", Py_XNewRef(handed_back)) < 0) { Py_XDECREF(handed_back); return -1; }
    Py_DECREF(handed_back);
    PyObject *orphans = PyDict_GetItemString(result, "orphans");
    PyObject *stray = NULL, *wrong_type = NULL;
    long long unbound = 0;
    int status, failed = 0;
    while (!failed && (status = sqlite3_step(once->events)) == SQLITE_ROW) {
        sqlite3_stmt *row = once->events;
        Slot *slot = NULL;
        if (sqlite3_column_type(row, EVENT_ID) == SQLITE_TEXT) {
            events_find(&once->table, sqlite3_column_text(row, EVENT_ID), (size_t)sqlite3_column_bytes(row, EVENT_ID), 0,
                        &slot, NULL); /* a look-up only: cannot fail */
            if (slot) slot->visited = 1;
        }
        PyObject *event_id = NULL; /* made only when a row is handed back */
        int off_path = 0;
        if (!fast_path(&once->table, slot, row, &once->scratch, &off_path)) {
            if (off_path) { PyErr_NoMemory(); failed = 1; break; }
            event_id = py_column(row, EVENT_ID);
            failed = !event_id || append_new(handed_back, binding(&once->table, slot, row, event_id)) < 0;
        }
        /* The intake log: intake_seq 0 (written before it), a recorded intake, or none (stray). */
        long long seq = sqlite3_column_type(row, INTAKE_SEQ) == SQLITE_INTEGER ? sqlite3_column_int64(row, INTAKE_SEQ) : -1;
        if (failed) {
            Py_XDECREF(event_id);
            break;
        }
        if (seq == 0) {
            unbound += 1;
        } else if (seq < 1 || seq > intakes || !once->present[seq]) {
            if (!stray) {
                if (!event_id) event_id = py_column(row, EVENT_ID);
                PyObject *value = py_column(row, INTAKE_SEQ);
                stray = event_id && value ? PyTuple_Pack(2, event_id, value) : NULL;
                Py_XDECREF(value);
                failed = !stray;
            }
        } else {
            const char *at_intake = !slot || slot->intake_status == UNDECIDED ? NULL
                                  : slot->intake_status == HELD_AT_INTAKE    ? "held"
                                                                             : "booked";
            unsigned char line[32];
            int hashed;
            if (typed_as_written(row)) {
                hashed = event_line_c(row, at_intake, &once->text, line) < 0 ? (PyErr_NoMemory(), -1) : 1;
            } else {
                if (!event_id) event_id = py_column(row, EVENT_ID);
                hashed = event_id ? event_line_py(row, at_intake, odd_line, event_id, &wrong_type, line) : -1;
            }
            failed = hashed < 0;
            if (hashed > 0 && once->lines) {
                failed = text_add(&once->lines[seq], line, 32) < 0;
                if (failed) PyErr_NoMemory();
            } else if (hashed > 0) {
                SHA256_Update(&once->digests[seq], line, 32);
            }
            once->counts[seq] += hashed > 0;
        }
        Py_XDECREF(event_id);
    }
    if (!failed) failed = stepped(once, status, "events") < 0;
    /* Events with own entries whose row was not read: Store.event_bindings' second part. */
    for (size_t i = 0; !failed && i < once->table.capacity; i++) {
        Slot *slot = &once->table.slots[i];
        if (!slot->hash || slot->visited || !slot->first_seq) continue;
        uint32_t len;
        const unsigned char *id = record_id(&once->table, slot, &len);
        PyObject *event_id = PyUnicode_DecodeUTF8((const char *)id, len, NULL);
        failed = !event_id || append_new(orphans, binding(&once->table, slot, NULL, event_id)) < 0;
        Py_XDECREF(event_id);
    }
    if (!failed) {
        PyObject *groups = PyList_New(0);
        failed = set_item(result, "intake_groups", Py_XNewRef(groups)) < 0;
        for (Py_ssize_t seq = 1; !failed && seq <= intakes && once->lines; seq++) {
            Text *lines = &once->lines[seq];
            failed = append_new(groups, Py_BuildValue("(Ly#)", once->counts[seq], lines->data ? lines->data : "",
                                                      (Py_ssize_t)lines->len)) < 0;
        }
        for (Py_ssize_t seq = 1; !failed && seq <= intakes && !once->lines; seq++) {
            unsigned char digest[32];
            char text[64];
            SHA256_Final(digest, &once->digests[seq]);
            hex(digest, text);
            failed = append_new(groups, Py_BuildValue("(Ls#)", once->counts[seq], text, (Py_ssize_t)64)) < 0;
        }
        Py_XDECREF(groups);
    }
    failed = failed || set_item(result, "unbound", PyLong_FromLongLong(unbound)) < 0 ||
             set_item(result, "stray", stray ? Py_NewRef(stray) : Py_NewRef(Py_None)) < 0 ||
             set_item(result, "wrong_type", wrong_type ? Py_NewRef(wrong_type) : Py_NewRef(Py_None)) < 0;
    Py_XDECREF(stray);
    Py_XDECREF(wrong_type);
    return failed ? -1 : 0;
}

/* A bound given as str (None: none). */
static int parse_bound(PyObject *value, Bound *bound) {
    if (value == Py_None) return 0;
    Py_ssize_t len;
    const char *bytes = PyUnicode_Check(value) ? PyUnicode_AsUTF8AndSize(value, &len) : NULL;
    if (!bytes) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "an event-id bound must be str or None");
        return -1;
    }
    *bound = (Bound){.present = 1, .bytes = bytes, .len = (size_t)len};
    return 0;
}

/* A bound into the events statement's parameter `name`, which it must have exactly when the
 * bound is given (so a range cannot be half applied). */
static int bind_bound(Once *once, const char *name, const Bound *bound) {
    int index = sqlite3_bind_parameter_index(once->events, name);
    if (!bound->present && !index) return 0;
    if (!bound->present || !index) {
        PyErr_Format(PyExc_ValueError, "the events statement %s %s, but the range %s that bound", index ? "has" : "lacks",
                     name, bound->present ? "gives" : "lacks");
        return -1;
    }
    if (bound->len > INT32_MAX ||
        sqlite3_bind_text(once->events, index, bound->bytes, (int)bound->len, SQLITE_STATIC) != SQLITE_OK) {
        PyErr_Format(PyExc_ValueError, "cannot bind %s: %s", name, sqlite3_errmsg(once->db));
        return -1;
    }
    return 0;
}

static PyObject *once(PyObject *self, PyObject *args) {
    const char *path, *entries_sql, *events_sql, *intakes_sql;
    PyObject *decided, *anchor_list, *odd_line, *lo = Py_None, *hi = Py_None;
    int verify_chain = 1, raw_lines = 0;
    if (!PyArg_ParseTuple(args, "ssssO!O!O|OOpp", &path, &entries_sql, &events_sql, &intakes_sql, &PyDict_Type, &decided,
                          &PyList_Type, &anchor_list, &odd_line, &lo, &hi, &verify_chain, &raw_lines))
        return NULL;
    Once run = {0};
    if (parse_bound(lo, &run.lo) < 0 || parse_bound(hi, &run.hi) < 0) return NULL;
    run.verify_chain = verify_chain;
    run.line_count = raw_lines ? -1 : 0; /* -1: read_intakes makes the lines */
    run.result = PyDict_New();
    if (!run.result) return NULL;
    Py_ssize_t anchor_count = PyList_GET_SIZE(anchor_list), intakes = 0;
    run.anchors = malloc(((size_t)anchor_count + 1) * sizeof(long long));
    if (!run.anchors) { PyErr_NoMemory(); goto fail; }
    for (Py_ssize_t i = 0; i < anchor_count; i++) {
        run.anchors[i] = PyLong_AsLongLong(PyList_GET_ITEM(anchor_list, i));
        if (run.anchors[i] == -1 && PyErr_Occurred()) goto fail;
    }
    if (set_item(run.result, "orphans", PyList_New(0)) < 0) goto fail;
    /* One thread uses the connection: without SQLite's per-connection mutex, which every
     * sqlite3_column_* call would otherwise take and release (13% of the pass, by perf). */
    if (!(run.db = open_read_only_with(path, SQLITE_OPEN_NOMUTEX))) goto fail;
    if (prepare(&run, entries_sql, &run.entries, "entries") < 0 || prepare(&run, events_sql, &run.events, "events") < 0 ||
        prepare(&run, intakes_sql, &run.intakes, "intakes") < 0)
        goto fail;
    if (bind_bound(&run, ":lo", &run.lo) < 0 || bind_bound(&run, ":hi", &run.hi) < 0) goto fail;
    if (sqlite3_exec(run.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        PyErr_Format(PyExc_OSError, "cannot begin a read transaction: %s", sqlite3_errmsg(run.db));
        goto fail;
    }
    run.in_transaction = 1;
    double started = seconds_now();
    int chain_holds = read_entries(&run, anchor_count);
    if (chain_holds < 0) goto fail;
    double entries_read = seconds_now();
    if (chain_holds) {
        if (note_decided(&run, decided) < 0 || read_intakes(&run, &intakes) < 0 || read_events(&run, intakes, odd_line) < 0)
            goto fail;
    }
    if (set_item(run.result, "entries_pass_seconds", PyFloat_FromDouble(entries_read - started)) < 0 ||
        set_item(run.result, "events_pass_seconds", PyFloat_FromDouble(seconds_now() - entries_read)) < 0)
        goto fail;
    size_t table_bytes = run.table.capacity * sizeof(Slot) + run.table.arena.cap;
    size_t intake_bytes = (size_t)intakes * (sizeof(SHA256_CTX) + sizeof(long long) + 1);
    for (Py_ssize_t seq = 1; run.lines && seq <= intakes; seq++) intake_bytes += run.lines[seq].cap;
    if (set_item(run.result, "table_bytes", PyLong_FromSize_t(table_bytes)) < 0 ||
        set_item(run.result, "table_events", PyLong_FromSize_t(run.table.used)) < 0 ||
        set_item(run.result, "intake_bytes", PyLong_FromSize_t(intake_bytes)) < 0)
        goto fail;
    if (sqlite3_exec(run.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        PyErr_Format(PyExc_OSError, "cannot end the read transaction: %s", sqlite3_errmsg(run.db));
        goto fail;
    }
    run.in_transaction = 0;
    PyObject *result = run.result;
    run.result = NULL;
    once_free(&run);
    return result;
fail:
    Py_XDECREF(run.result);
    once_free(&run);
    return NULL;
}

static PyMethodDef methods[] = {
    {"chain", chain, METH_VARARGS, "Verify the chain of a SQLite ledger in C: (entries, first bad seq or None)."},
    {"once", once, METH_VARARGS,
     "Read the entries once in seq order and the events once in id order: the chain, the event rows on "
     "the bindings' fast path and each intake's digest (see NativeVerifyOnce)."},
    {"step", step, METH_VARARGS, "Step every row of a statement, reading every column: (rows, bytes)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_gp_native_verify", NULL, -1, methods, NULL, NULL, NULL,
                                    NULL};

PyMODINIT_FUNC PyInit__gp_native_verify(void) { return PyModule_Create(&module); }

/* The native writer, tried: issue 13's "store writes — intake lines, rows, indexes — natively
 * too, without a Python tuple per row", for the SQLite store.
 *
 * write(path, entries, events, chain_head, intake_head, late_indexes, secondary_indexes,
 *       statements, cache_kib, busy_ms)
 * writes one call's staged rows — entry rows and event rows as skeleton.c stages them, tuples in
 * ENTRY_COLUMNS and EVENT_COLUMNS order — into a SQLite store file, in one transaction of a
 * connection of its own (WAL, synchronous=FULL, the store's page cache), as SQLiteTransaction
 * and SQLTransaction.finish write them: each tuple item bound with sqlite3_bind_* (no Python
 * object made per row), each event row with the intake's seq, each event row's event_line
 * hashed here (gridpoints.stores.intakes), and the intake row (digest over the lines in event-id
 * order, chained from the intake head) appended. Under BEGIN IMMEDIATE it first reads the chain
 * head and the intake head again and refuses (StoreError, nothing written) when they are not the
 * ones the rows continue. With late_indexes it drops the store's secondary indexes (their
 * CREATE statements read from sqlite_master first) before the rows and creates them again after,
 * in the same transaction. Any failure rolls the transaction back and raises.
 * Returns {"insert_seconds", "intake_seconds", "index_seconds", "commit_seconds"}.
 *
 * heads(path, busy_ms) → ((chain seq, hash), (intake seq, hash)): the two heads as write reads
 * them, in one read transaction.
 *
 * The GIL is held while rows are read from their tuples (the UTF-8 of each str is bound in
 * place, SQLITE_STATIC, so the tuples must not change meanwhile); it is released only for
 * CREATE INDEX and COMMIT, which touch no Python object. A measuring instrument (see
 * benchmarks/native_core/__init__.py); nothing of it ships.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co: no provider fetch per digest */
#include <Python.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <stdio.h>

#include "intake.h"
#include "text.h"

/* gridpoints.errors.StoreError and StoreBusyError: what the Python store raises for the same
 * refusals and failures. */
static PyObject *StoreError, *StoreBusyError;

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
enum { ENTRY_FIELDS = 17, ENTRY_PREV_HASH = 15, EVENT_FIELDS = 10, EVENT_OCCURRED_US = 3, INTAKE_FIELDS = 5 };

typedef struct {
    long long seq;
    char hash[65];
} Head;

static int sqlite_failed(sqlite3 *db, int rc, const char *what) {
    int primary = rc & 0xff;
    PyObject *type = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ? StoreBusyError : StoreError;
    PyErr_Format(type, "SQLite: %s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return -1;
}

static int run_sql(sqlite3 *db, const char *sql, const char *what) {
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : sqlite_failed(db, rc, what);
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **statement, const char *what) {
    int rc = sqlite3_prepare_v2(db, sql, -1, statement, NULL);
    return rc == SQLITE_OK ? 0 : sqlite_failed(db, rc, what);
}

/* The store's file (it must exist: the writer creates no schema), set up as SQLiteStore sets up
 * its connection. */
static sqlite3 *open_store(const char *path, int cache_kib, int busy_ms) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        sqlite_failed(db, rc, "opening the store");
        sqlite3_close(db);
        return NULL;
    }
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -%d",
             cache_kib);
    rc = sqlite3_busy_timeout(db, busy_ms);
    if (rc != SQLITE_OK ? sqlite_failed(db, rc, "setting the busy timeout") < 0
                        : run_sql(db, pragmas, "setting up the connection") < 0) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* (seq, hash) of the last row `sql` selects; *found 0 when it selects none. */
static int read_head(sqlite3 *db, const char *sql, Head *head, int *found) {
    sqlite3_stmt *row = NULL;
    if (prepare(db, sql, &row, "reading a head") < 0) return -1;
    int rc = sqlite3_step(row), status = 0;
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        const unsigned char *hash = sqlite3_column_text(row, 1);
        if (!hash || sqlite3_column_bytes(row, 1) != 64) {
            PyErr_Format(StoreError, "the head hash of %s is not 64 characters", sql);
            status = -1;
        } else {
            head->seq = sqlite3_column_int64(row, 0);
            memcpy(head->hash, hash, 64);
            head->hash[64] = '\0';
        }
    } else if (rc != SQLITE_DONE) {
        status = sqlite_failed(db, rc, "reading a head");
    }
    sqlite3_finalize(row);
    return status;
}

/* The chain head as SQLStore._last_entry reads it, and the intake head as
 * SQLTransaction._intake does: the last intake row, or before the first one
 * (0, intake_genesis(rows written before the log)). */
static int read_heads(sqlite3 *db, Head *chain, Head *intake) {
    int found;
    if (read_head(db, "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1", chain, &found) < 0) return -1;
    if (!found) *chain = (Head){0, GENESIS};
    if (read_head(db, "SELECT seq, hash FROM intakes ORDER BY seq DESC LIMIT 1", intake, &found) < 0) return -1;
    if (found) return 0;
    sqlite3_stmt *row = NULL;
    if (prepare(db, "SELECT COUNT(*) FROM events WHERE intake_seq = 0", &row, "counting rows before the log") < 0)
        return -1;
    int rc = sqlite3_step(row);
    long long unbound = rc == SQLITE_ROW ? sqlite3_column_int64(row, 0) : 0;
    sqlite3_finalize(row);
    if (rc != SQLITE_ROW) return sqlite_failed(db, rc, "counting rows before the log");
    *intake = (Head){0, GENESIS};
    if (unbound) { /* intake_genesis: SHA-256 of "gpi1␟unbound␟<n>" */
        char text[64];
        int n = snprintf(text, sizeof text, "gpi1\x1funbound\x1f%lld", unbound);
        unsigned char digest[SHA256_DIGEST_LENGTH];
        sha256_bytes(text, (size_t)n, digest);
        hex(digest, intake->hash);
    }
    return 0;
}

static PyObject *heads(PyObject *self, PyObject *args) {
    const char *path;
    int busy_ms;
    if (!PyArg_ParseTuple(args, "si", &path, &busy_ms)) return NULL;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK || (rc = sqlite3_busy_timeout(db, busy_ms)) != SQLITE_OK) {
        sqlite_failed(db, rc, "opening the store");
        sqlite3_close(db);
        return NULL;
    }
    Head chain, intake;
    PyObject *result = NULL;
    if (run_sql(db, "BEGIN", "beginning a read") == 0) { /* one snapshot for both heads */
        if (read_heads(db, &chain, &intake) == 0 && run_sql(db, "COMMIT", "ending a read") == 0)
            result = Py_BuildValue("((Ls)(Ls))", chain.seq, chain.hash, intake.seq, intake.hash);
        else
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); /* the error raised is the first one */
    }
    rc = sqlite3_close(db);
    if (rc != SQLITE_OK && result) {
        Py_CLEAR(result);
        sqlite_failed(NULL, rc, "closing the store");
    }
    return result;
}

/* What one write holds; writer_free releases all of it. */
typedef struct {
    sqlite3 *db;
    int in_transaction;
    sqlite3_stmt *entry_insert, *event_insert, *intake_insert;
    Line *lines;
    char **index_sql; /* the dropped indexes' CREATE statements */
    Py_ssize_t index_count;
    Text text; /* scratch: one event row's line text */
} Writer;

static void finalize_statements(Writer *w) {
    /* finalize returns the statement's last error, already reported where it happened */
    sqlite3_finalize(w->entry_insert);
    sqlite3_finalize(w->event_insert);
    sqlite3_finalize(w->intake_insert);
    w->entry_insert = w->event_insert = w->intake_insert = NULL;
}

/* Roll back what is still open (after a failure) and release everything; -1 when closing the
 * connection itself fails. */
static int writer_free(Writer *w) {
    int status = 0;
    finalize_statements(w);
    if (w->in_transaction) /* after a failure: its error is the one raised; closing rolls back anyway */
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    if (w->db && sqlite3_close(w->db) != SQLITE_OK) status = -1;
    for (Py_ssize_t i = 0; i < w->index_count; i++) free(w->index_sql[i]);
    free(w->index_sql);
    free(w->lines);
    free(w->text.data);
    return status;
}

/* Bind one tuple item as sqlite3's executemany binds it: int → INTEGER, str → TEXT, None → NULL.
 * A str's UTF-8 is bound in place; *utf8 and *len give it back (for event_line). */
static int bind_item(sqlite3 *db, sqlite3_stmt *statement, int column, PyObject *value, const char **utf8,
                     Py_ssize_t *len) {
    int rc;
    if (PyUnicode_Check(value)) {
        if (!(*utf8 = PyUnicode_AsUTF8AndSize(value, len))) return -1;
        rc = sqlite3_bind_text64(statement, column, *utf8, (sqlite3_uint64)*len, SQLITE_STATIC, SQLITE_UTF8);
    } else if (PyLong_Check(value)) {
        int overflow;
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (overflow) {
            PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to SQLite INTEGER");
            return -1;
        }
        if (number == -1 && PyErr_Occurred()) return -1;
        rc = sqlite3_bind_int64(statement, column, number);
    } else if (value == Py_None) {
        rc = sqlite3_bind_null(statement, column);
    } else {
        PyErr_Format(PyExc_TypeError, "column %d: the native writer binds int, str and None, not %.80s", column - 1,
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    return rc == SQLITE_OK ? 0 : sqlite_failed(db, rc, "binding a value");
}

static PyObject *row_at(PyObject *rows, Py_ssize_t i, Py_ssize_t fields, const char *what) {
    PyObject *row = PyList_GET_ITEM(rows, i);
    if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != fields) {
        PyErr_Format(PyExc_TypeError, "%s row %zd is not a tuple of %zd items", what, i, fields);
        return NULL;
    }
    return row;
}

static int step_row(sqlite3 *db, sqlite3_stmt *statement, const char *what) {
    int rc = sqlite3_step(statement);
    if (rc != SQLITE_DONE) return sqlite_failed(db, rc, what);
    rc = sqlite3_reset(statement);
    return rc == SQLITE_OK ? 0 : sqlite_failed(db, rc, what);
}

static int write_entries(Writer *w, PyObject *entries) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(entries); i++) {
        PyObject *row = row_at(entries, i, ENTRY_FIELDS, "entry");
        if (!row) return -1;
        for (int column = 0; column < ENTRY_FIELDS; column++) {
            const char *utf8;
            Py_ssize_t len;
            if (bind_item(w->db, w->entry_insert, column + 1, PyTuple_GET_ITEM(row, column), &utf8, &len) < 0)
                return -1;
        }
        if (step_row(w->db, w->entry_insert, "inserting an entry") < 0) return -1;
    }
    return 0;
}

/* Bind one event row (with the intake seq) and hash its event_line: each text column as its
 * length in characters (len() of the str: code points), ':' and its UTF-8; occurred_us as
 * decimal digits and ';'. A column of another type raises TypeError, as event_line does. */
static int write_event(Writer *w, PyObject *row, long long intake_seq, Line *line) {
    Text *text = &w->text;
    text->len = 0;
    for (int column = 0; column < EVENT_FIELDS; column++) {
        PyObject *value = PyTuple_GET_ITEM(row, column);
        const char *utf8 = NULL;
        Py_ssize_t len = 0;
        if (column == EVENT_OCCURRED_US ? !PyLong_CheckExact(value) : !PyUnicode_Check(value)) {
            PyErr_Format(PyExc_TypeError, "column %d of event row %R: %.80s, not %s", column, PyTuple_GET_ITEM(row, 0),
                         Py_TYPE(value)->tp_name, column == EVENT_OCCURRED_US ? "a whole number" : "a str");
            return -1;
        }
        if (bind_item(w->db, w->event_insert, column + 1, value, &utf8, &len) < 0) return -1;
        int failed;
        if (column == EVENT_OCCURRED_US) {
            /* bind_item has read it: it fits in a long long */
            failed = text_int(text, PyLong_AsLongLong(value)) < 0 || text_add(text, ";", 1) < 0;
        } else {
            failed = text_int(text, (long long)PyUnicode_GET_LENGTH(value)) < 0 || text_add(text, ":", 1) < 0 ||
                     text_add(text, utf8, (size_t)len) < 0;
            if (column == 0) {
                line->id = utf8;
                line->id_len = (size_t)len;
            }
        }
        if (failed) {
            PyErr_NoMemory();
            return -1;
        }
    }
    sha256_bytes(text->data, text->len, line->line);
    int rc = sqlite3_bind_int64(w->event_insert, EVENT_FIELDS + 1, intake_seq);
    if (rc != SQLITE_OK) return sqlite_failed(w->db, rc, "binding the intake seq");
    return step_row(w->db, w->event_insert, "inserting an event row");
}

/* The intake row of `count` lines, as IntakeLog.row() makes it: digest = SHA-256 over "gpi1"
 * and the lines in event-id order; hash = SHA-256(prev ‖ 0x1E ‖ "gpi1␟seq␟count␟digest"). */
static int write_intake(Writer *w, const Head *head, Py_ssize_t count) {
    char digest_hex[65] = {0}, hash_hex[65] = {0};
    long long seq = head->seq + 1;
    if (intake_row(w->lines, (size_t)count, head->hash, seq, &w->text, digest_hex, hash_hex) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    sqlite3_stmt *insert = w->intake_insert;
    int rc;
    if ((rc = sqlite3_bind_int64(insert, 1, seq)) != SQLITE_OK ||
        (rc = sqlite3_bind_int64(insert, 2, (sqlite3_int64)count)) != SQLITE_OK ||
        (rc = sqlite3_bind_text(insert, 3, digest_hex, 64, SQLITE_TRANSIENT)) != SQLITE_OK ||
        (rc = sqlite3_bind_text(insert, 4, head->hash, 64, SQLITE_TRANSIENT)) != SQLITE_OK ||
        (rc = sqlite3_bind_text(insert, 5, hash_hex, 64, SQLITE_TRANSIENT)) != SQLITE_OK)
        return sqlite_failed(w->db, rc, "binding the intake row");
    return step_row(w->db, insert, "inserting the intake row");
}

/* Read the CREATE statement of each index named in `names` from sqlite_master, then drop them. */
static int drop_indexes(Writer *w, PyObject *names) {
    Py_ssize_t count = PyTuple_GET_SIZE(names);
    if (count == 0) return 0;
    if (!(w->index_sql = calloc((size_t)count, sizeof(char *)))) {
        PyErr_NoMemory();
        return -1;
    }
    w->index_count = count;
    sqlite3_stmt *select = NULL;
    if (prepare(w->db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", &select,
                "reading the indexes") < 0)
        return -1;
    int status = 0;
    for (Py_ssize_t i = 0; status == 0 && i < count; i++) {
        PyObject *name = PyTuple_GET_ITEM(names, i);
        Py_ssize_t len;
        const char *utf8 = PyUnicode_Check(name) ? PyUnicode_AsUTF8AndSize(name, &len) : NULL;
        if (!utf8) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "index names are str");
            status = -1;
            break;
        }
        int rc = sqlite3_bind_text64(select, 1, utf8, (sqlite3_uint64)len, SQLITE_STATIC, SQLITE_UTF8);
        if (rc != SQLITE_OK) {
            status = sqlite_failed(w->db, rc, "reading the indexes");
            break;
        }
        rc = sqlite3_step(select);
        const unsigned char *sql = rc == SQLITE_ROW ? sqlite3_column_text(select, 0) : NULL;
        if (rc == SQLITE_ROW && sql) {
            size_t bytes = (size_t)sqlite3_column_bytes(select, 0);
            if (!(w->index_sql[i] = malloc(bytes + 1))) {
                PyErr_NoMemory();
                status = -1;
                break;
            }
            memcpy(w->index_sql[i], sql, bytes + 1); /* sqlite3_column_text ends it with '\0' */
        } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
            PyErr_Format(StoreError, "the store has no index %s with a CREATE statement", utf8);
            status = -1;
            break;
        } else {
            status = sqlite_failed(w->db, rc, "reading the indexes");
            break;
        }
        rc = sqlite3_reset(select);
        if (rc != SQLITE_OK) status = sqlite_failed(w->db, rc, "reading the indexes");
    }
    sqlite3_finalize(select);
    for (Py_ssize_t i = 0; status == 0 && i < count; i++) {
        char *drop = sqlite3_mprintf("DROP INDEX \"%w\"", PyUnicode_AsUTF8(PyTuple_GET_ITEM(names, i)));
        if (!drop) {
            PyErr_NoMemory();
            return -1;
        }
        status = run_sql(w->db, drop, "dropping an index");
        sqlite3_free(drop);
    }
    return status;
}

/* Create the dropped indexes again (the GIL released: only their SQL text is read). */
static int create_indexes(Writer *w) {
    int status = 0;
    for (Py_ssize_t i = 0; status == 0 && i < w->index_count; i++) {
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = sqlite3_exec(w->db, w->index_sql[i], NULL, NULL, NULL);
        Py_END_ALLOW_THREADS
        if (rc != SQLITE_OK) status = sqlite_failed(w->db, rc, "creating an index");
    }
    return status;
}

static int head_is(const Head *head, const Head *expected) {
    return head->seq == expected->seq && memcmp(head->hash, expected->hash, 64) == 0;
}

/* The first entry continues `head`, as gridpoints.stores.chained_head requires. */
static int continues(PyObject *entries, const Head *head) {
    if (PyList_GET_SIZE(entries) == 0) return 0;
    PyObject *first = row_at(entries, 0, ENTRY_FIELDS, "entry");
    if (!first) return -1;
    PyObject *seq = PyTuple_GET_ITEM(first, 0), *prev = PyTuple_GET_ITEM(first, ENTRY_PREV_HASH);
    int overflow = 0;
    long long number = PyLong_Check(seq) ? PyLong_AsLongLongAndOverflow(seq, &overflow) : 0;
    const char *prev_hash = PyUnicode_Check(prev) ? PyUnicode_AsUTF8(prev) : NULL;
    if (PyErr_Occurred()) return -1;
    if (!PyLong_Check(seq) || overflow || number != head->seq + 1 || !prev_hash || strcmp(prev_hash, head->hash) != 0) {
        PyErr_Format(StoreError, "append does not continue the chain at seq %lld", head->seq + 1);
        return -1;
    }
    return 0;
}

static int given_head(long long seq, const char *hash, Head *head) {
    if (strlen(hash) != 64) {
        PyErr_SetString(PyExc_ValueError, "a head's hash has 64 hex digits");
        return -1;
    }
    head->seq = seq;
    memcpy(head->hash, hash, 65);
    return 0;
}

static PyObject *write_rows(PyObject *self, PyObject *args) {
    const char *path, *chain_hash, *intake_hash, *entry_sql, *event_sql, *intake_sql;
    PyObject *entries, *events, *index_names;
    long long chain_seq, intake_seq;
    int late, cache_kib, busy_ms;
    if (!PyArg_ParseTuple(args, "sO!O!(Ls)(Ls)pO!(sss)ii", &path, &PyList_Type, &entries, &PyList_Type, &events,
                          &chain_seq, &chain_hash, &intake_seq, &intake_hash, &late, &PyTuple_Type, &index_names,
                          &entry_sql, &event_sql, &intake_sql, &cache_kib, &busy_ms))
        return NULL;
    Head chain, intake, stored_chain, stored_intake;
    if (given_head(chain_seq, chain_hash, &chain) < 0 || given_head(intake_seq, intake_hash, &intake) < 0 ||
        continues(entries, &chain) < 0)
        return NULL;
    Writer w = {0};
    Py_ssize_t event_count = PyList_GET_SIZE(events);
    double started, inserted, intaken, indexed, committed, index_seconds = 0;
    if (!(w.db = open_store(path, cache_kib, busy_ms)) || run_sql(w.db, "BEGIN IMMEDIATE", "taking the write lock") < 0)
        goto fail;
    w.in_transaction = 1;
    if (read_heads(w.db, &stored_chain, &stored_intake) < 0) goto fail;
    if (!head_is(&stored_chain, &chain) || !head_is(&stored_intake, &intake)) {
        PyErr_Format(StoreError,
                     "the store moved on: its chain head is seq %lld and its intake head seq %lld; the rows continue "
                     "seq %lld and intake %lld (nothing written)",
                     stored_chain.seq, stored_intake.seq, chain.seq, intake.seq);
        goto fail;
    }
    started = seconds_now();
    if (late && drop_indexes(&w, index_names) < 0) goto fail;
    index_seconds = seconds_now() - started;
    if (prepare(w.db, entry_sql, &w.entry_insert, "preparing the entry insert") < 0 ||
        prepare(w.db, event_sql, &w.event_insert, "preparing the event insert") < 0 ||
        prepare(w.db, intake_sql, &w.intake_insert, "preparing the intake insert") < 0)
        goto fail;
    if (sqlite3_bind_parameter_count(w.entry_insert) != ENTRY_FIELDS ||
        sqlite3_bind_parameter_count(w.event_insert) != EVENT_FIELDS + 1 ||
        sqlite3_bind_parameter_count(w.intake_insert) != INTAKE_FIELDS) {
        PyErr_SetString(PyExc_ValueError, "the insert statements bind 17 entry, 11 event and 5 intake columns");
        goto fail;
    }
    if (event_count && !(w.lines = malloc((size_t)event_count * sizeof(Line)))) {
        PyErr_NoMemory();
        goto fail;
    }
    started = seconds_now();
    if (write_entries(&w, entries) < 0) goto fail;
    for (Py_ssize_t i = 0; i < event_count; i++) {
        PyObject *row = row_at(events, i, EVENT_FIELDS, "event");
        if (!row || write_event(&w, row, intake.seq + 1, &w.lines[i]) < 0) goto fail;
    }
    inserted = seconds_now();
    if (event_count && write_intake(&w, &intake, event_count) < 0) goto fail;
    intaken = seconds_now();
    finalize_statements(&w); /* nothing bound to a Python str outlives the rows' loop */
    if (create_indexes(&w) < 0) goto fail;
    indexed = seconds_now();
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = sqlite3_exec(w.db, "COMMIT", NULL, NULL, NULL);
    Py_END_ALLOW_THREADS
    if (rc != SQLITE_OK) {
        sqlite_failed(w.db, rc, "committing");
        goto fail;
    }
    w.in_transaction = 0;
    committed = seconds_now();
    if (writer_free(&w) < 0) return PyErr_Format(StoreError, "SQLite: closing the store failed after the commit");
    return Py_BuildValue("{s:d,s:d,s:d,s:d}", "insert_seconds", inserted - started, "intake_seconds",
                         intaken - inserted, "index_seconds", index_seconds + (indexed - intaken), "commit_seconds",
                         committed - indexed);
fail:
    writer_free(&w); /* the error raised is the first one */
    return NULL;
}

static PyMethodDef methods[] = {
    {"write", write_rows, METH_VARARGS, "Write a call's staged rows into a SQLite store in C (see the module source)."},
    {"heads", heads, METH_VARARGS, "The chain head and the intake head of a SQLite store: ((seq, hash), (seq, hash))."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_gp_native_writer", NULL, -1, methods, NULL, NULL, NULL,
                                    NULL};

PyMODINIT_FUNC PyInit__gp_native_writer(void) {
    PyObject *errors = PyImport_ImportModule("gridpoints.errors");
    if (!errors) return NULL;
    StoreError = PyObject_GetAttrString(errors, "StoreError");
    StoreBusyError = StoreError ? PyObject_GetAttrString(errors, "StoreBusyError") : NULL;
    Py_DECREF(errors);
    if (!StoreBusyError) {
        Py_CLEAR(StoreError);
        return NULL;
    }
    return PyModule_Create(&module);
}

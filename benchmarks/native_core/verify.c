/* A native verify, tried: issue 13's verify() target (≥ 500,000 entries/s on SQLite) measured
 * against what its reads cost without a Python object per row.
 *
 * chain(path, select): the chain pass in C — every entry row read with SQLite's C API in seq
 * order, its canonical text rebuilt (as gridpoints.ledger.chain.entry_text / entry_tail), its
 * SHA-256 after the previous hash recomputed and compared with the stored hash and the next
 * row's prev_hash. Returns (entries verified, first bad seq or None).
 * step(path, sql): every row of a statement stepped and every column read as text — what a pass
 * over those rows costs before any check. Returns the row count.
 * Measuring instruments only (see benchmarks/native_core/__init__.py); nothing of it ships.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co: no provider fetch per digest */
#include <Python.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len, cap;
} Text;

static int text_add(Text *t, const void *bytes, size_t n) {
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

static int text_column(Text *t, sqlite3_stmt *row, int column) {
    const unsigned char *value = sqlite3_column_text(row, column);
    return text_add(t, value ? (const char *)value : "", (size_t)sqlite3_column_bytes(row, column));
}

static int text_int(Text *t, long long value) {
    char digits[24];
    char *end = digits + sizeof digits, *p = end;
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do { *--p = (char)('0' + magnitude % 10); magnitude /= 10; } while (magnitude);
    if (value < 0) *--p = '-';
    return text_add(t, p, (size_t)(end - p));
}

/* Hundredths as gridpoints.ledger.chain.points_text writes them: 12345 → 123.45, -300 → -3.00. */
static int text_points(Text *t, long long cents) {
    unsigned long long magnitude = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
    if (cents < 0 && text_add(t, "-", 1) < 0) return -1;
    if (text_int(t, (long long)(magnitude / 100)) < 0) return -1;
    char part[3] = {'.', (char)('0' + magnitude % 100 / 10), (char)('0' + magnitude % 10)};
    return text_add(t, part, 3);
}

static void hex(const unsigned char *digest, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 15];
    }
}

static sqlite3 *open_read_only(const char *path) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        PyErr_Format(PyExc_OSError, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    return db;
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
        /* Columns in ENTRY_COLUMNS order: seq, member … ref (0–14), prev_hash, hash. */
        const unsigned char *linked = sqlite3_column_text(row, 15);
        const unsigned char *stored = sqlite3_column_text(row, 16);
        if (sqlite3_column_type(row, 0) != SQLITE_INTEGER || sqlite3_column_int64(row, 0) != expected ||
            sqlite3_column_type(row, 6) != SQLITE_INTEGER || !linked || !stored ||
            sqlite3_column_bytes(row, 15) != 64 || memcmp(linked, prev, 64) != 0) {
            bad = expected;
            break;
        }
        text.len = 0;
        int failed = text_add(&text, prev, 64) < 0 || text_add(&text, "\x1egp1\x1f", 5) < 0 ||
                     text_int(&text, expected) < 0;
        for (int column = 1; !failed && column <= 14; column++) {
            failed = text_add(&text, "\x1f", 1) < 0 ||
                     (column == 6 ? text_points(&text, sqlite3_column_int64(row, 6)) : text_column(&text, row, column)) < 0;
        }
        if (failed) { bad = -1; break; }
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256_CTX sha;
        SHA256_Init(&sha);
        SHA256_Update(&sha, text.data, text.len);
        SHA256_Final(digest, &sha);
        hex(digest, prev);
        if (sqlite3_column_bytes(row, 16) != 64 || memcmp(stored, prev, 64) != 0) {
            bad = expected;
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

static PyMethodDef methods[] = {
    {"chain", chain, METH_VARARGS, "Verify the chain of a SQLite ledger in C: (entries, first bad seq or None)."},
    {"step", step, METH_VARARGS, "Step every row of a statement, reading every column: (rows, bytes)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_gp_native_verify", NULL, -1, methods, NULL, NULL, NULL,
                                    NULL};

PyMODINIT_FUNC PyInit__gp_native_verify(void) { return PyModule_Create(&module); }

/* The per-event core over columns with the built-in checks on and a native in-memory store: issue
 * 13's "checks' running state in arrays and a native in-memory store in that core", tried.
 *
 * store(members) makes a store (a capsule): event rows, entries and intake rows in C arenas, an id
 * table over the rows, each member's rows chained back from its last, the chain and intake heads,
 * and the tail cache. run(store, events, tables, checks, deadline, tail_for) books one call into
 * it as the pipeline books it with checks on (gridpoints.ingest.pipeline):
 *
 *   1. input order: the canonical payload; an id the store knows is a duplicate or a conflict by
 *      its payload; admission; the local day;
 *   2. judging order (member by member, each member's events by instant, id, then input index):
 *      an id this call judged already is a duplicate or a conflict; else the kind's checks run in
 *      the engine's order on the member's timeline — the store's booked and held rows of the
 *      member within the call's span ± the widest check window, then this call's booked and held
 *      events as they are judged — and the first verdict holds the event (a row with status held,
 *      the check, its reason and ref), or it is booked;
 *   3. input order: each booked event's entry chained (points and tail from the tail cache, whose
 *      misses call tail_for in Python), as the pipeline chains its deferred entries;
 *   4. commit: the rows copied into the store's arenas in judging order, each row's event_line
 *      hashed, the intake row (lines by id, digest, chained hash) appended, the heads moved.
 * Nothing of the store is published before 4 (the tail cache aside, which only memoizes): a
 * failure leaves it as it was. Verdict reasons are built in C as the checks' f-strings build them; a repr
 * of text beyond printable ASCII, and evidence values beyond ASCII that only whitespace could
 * empty, are asked of Python (rare: held events only). The materialize functions turn the arenas
 * into Python values, for tests only.
 *
 * Three options of the trial, each measured apart: grouped (the call's columns gathered member by
 * member before 1, in the timed pass: see Gathered), gpi2 (the intake row's digest one SHA-256
 * over the rows' line texts in judging order, a format the library does not have: see Commit) and
 * threads 2 (4's rows written on a second thread while 3 runs on this one: see Commit and run).
 *
 * A measuring instrument, not a second implementation to ship. SHA-256 is OpenSSL's.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co: no provider fetch per digest */
#include <Python.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "columns.h"
#include "intake.h"

enum { HELD = CALL_CONFLICT + 1 };
/* The checks run, in the codes checked.py passes per kind (0 ends a kind's list). */
enum { NO_CHECK, BURST, DAILY_LIMIT, EVIDENCE, DUPLICATE_SUBMISSION, CHECK_CODES };
static const char *const CHECK_NAMES[CHECK_CODES] = {"", "burst", "daily_limit", "evidence", "duplicate_submission"};
#define CHECKS_PER_KIND 4
#define MINUTE_US 60000000LL

/* One event row of the store. Its id is the store's id column's value at the row's index. */
typedef struct {
    size_t payload, note;              /* offsets: the payload in payloads; reason, then ref, in notes */
    uint32_t payload_len, reason_len, ref_len;
    uint32_t place, place_len;         /* the checked place's JSON value, within the payload (0: none) */
    int64_t at_us, quantity;
    int32_t member, kind, local_days, prev_of_member, intake;
    uint8_t status, check;             /* status BOOKED or HELD; the check that held it */
} Row;

typedef struct {
    int64_t seq;
    int32_t row, rule, tail;
    char hash[64];
} Entry;

typedef struct {
    int64_t seq, events;
    char digest[64], prev[64], hash[64];
} Intake;

typedef struct {
    Text ids, payloads, notes;
    int64_t *id_offsets; /* rows + 1: the ids as a text column */
    Row *rows;
    Entry *entries;
    Intake *intakes;
    size_t rows_n, rows_cap, entries_n, entries_cap, intakes_n, intakes_cap;
    IdSet by_id;         /* slots: row indices */
    int32_t *member_last; /* per member: its last row (-1: none); rows chain back by prev_of_member */
    Py_ssize_t members;
    TailCache tails;
    long long seq;
    char prev[64];
} Store;

static void store_free(PyObject *capsule) {
    Store *s = PyCapsule_GetPointer(capsule, "checked.store");
    if (!s) return;
    free(s->ids.data), free(s->payloads.data), free(s->notes.data), free(s->id_offsets);
    free(s->rows), free(s->entries), free(s->intakes), free(s->by_id.slots), free(s->member_last);
    free(s->tails.tails), free(s->tails.slots), free(s->tails.texts.data);
    free(s);
}

static Column store_ids(const Store *s) {
    return (Column){s->ids.data, s->id_offsets, NULL, (Py_ssize_t)s->rows_n};
}

/* Room for `more` items in an array of `size`-byte items holding `count` of `*cap`. */
static int grow(void **items, size_t *cap, size_t count, size_t more, size_t size) {
    if (count + more <= *cap) return 0;
    size_t fresh = *cap ? *cap : 1024;
    while (fresh < count + more) fresh *= 2;
    void *grown = realloc(*items, fresh * size);
    if (!grown) { PyErr_NoMemory(); return -1; }
    *items = grown;
    *cap = fresh;
    return 0;
}

/* The id table sized for `rows` rows at most half full, the present rows rehashed into it. */
static int store_reserve_ids(Store *s, size_t rows) {
    if (s->by_id.slots && rows * 2 <= s->by_id.mask + 1) return 0;
    free(s->by_id.slots);
    if (idset_init(&s->by_id, (Py_ssize_t)rows) < 0) return -1;
    Column ids = store_ids(s);
    for (size_t r = 0; r < s->rows_n; r++) {
        size_t len;
        const char *id = column_at(&ids, (Py_ssize_t)r, &len);
        s->by_id.slots[idset_find(&s->by_id, &ids, id, len)] = (int32_t)r;
    }
    return 0;
}

/* store(members) → a new, empty store for an engine of `members` members. */
static PyObject *store(PyObject *self, PyObject *args) {
    Py_ssize_t members;
    if (!PyArg_ParseTuple(args, "n", &members)) return NULL;
    Store *s = calloc(1, sizeof *s);
    if (!s) return PyErr_NoMemory();
    s->members = members;
    s->member_last = malloc((members ? (size_t)members : 1) * sizeof *s->member_last);
    s->id_offsets = calloc(1, sizeof *s->id_offsets);
    memcpy(s->prev, GENESIS, 64);
    PyObject *capsule = NULL;
    if (!s->member_last || !s->id_offsets) PyErr_NoMemory();
    else if (store_reserve_ids(s, 0) == 0) capsule = PyCapsule_New(s, "checked.store", store_free);
    if (!capsule) {
        free(s->member_last), free(s->id_offsets), free(s->by_id.slots), free(s);
        return NULL;
    }
    memset(s->member_last, 0xff, (size_t)members * sizeof *s->member_last);
    return capsule;
}

/* The checks' options, from checked.py: see parse_checks. */
typedef struct {
    const uint8_t *kind_checks; /* CHECKS_PER_KIND codes per kind, in the engine's order */
    long long burst_count, burst_minutes;
    const int64_t *daily_limits; /* per kind, -1: none */
    Column daily_limit_texts;    /* per kind: the limit as str(Decimal) writes it */
    const int32_t *evidence_condition; /* per kind: -1 none, -2 an attribute no event carries, else its column */
    Column evidence_values, evidence_reasons; /* per kind: the condition's value; the hold's reason */
    long long evidence_column, verified_column; /* -2: no event carries it */
    long long duplicate_minutes, duplicate_column;
    const char *duplicate_attribute;
    Py_ssize_t duplicate_attribute_len;
    long long window_us;
    const int32_t *member_rank; /* per member: its place among the member ids sorted */
    PyObject *verified;         /* evidence's _verified, for a verified attribute's value */
} Checks;

static int parse_checks(PyObject *tuple, const Input *in, Py_ssize_t members, Checks *c) {
    PyObject *kind_checks, *limits, *limit_texts, *conditions, *values, *reasons, *ranks;
    if (!PyArg_ParseTuple(tuple, "SLLSO!SO!O!LLLLs#LSO", &kind_checks, &c->burst_count, &c->burst_minutes, &limits,
                          &PyTuple_Type, &limit_texts, &conditions, &PyTuple_Type, &values, &PyTuple_Type, &reasons,
                          &c->evidence_column, &c->verified_column, &c->duplicate_minutes, &c->duplicate_column,
                          &c->duplicate_attribute, &c->duplicate_attribute_len, &c->window_us, &ranks, &c->verified))
        return -1;
    Py_ssize_t kinds = in->kind_count;
    c->kind_checks = array_from(kind_checks, kinds * CHECKS_PER_KIND, 1, "kind checks");
    c->daily_limits = array_from(limits, kinds, 8, "daily limit");
    c->evidence_condition = array_from(conditions, kinds, 4, "evidence condition");
    c->member_rank = array_from(ranks, members, 4, "member rank");
    if (!c->kind_checks || !c->daily_limits || !c->evidence_condition || !c->member_rank ||
        column_from(limit_texts, kinds, &c->daily_limit_texts, "daily limit text") < 0 ||
        column_from(values, kinds, &c->evidence_values, "evidence value") < 0 ||
        column_from(reasons, kinds, &c->evidence_reasons, "evidence reason") < 0)
        return -1;
    Py_ssize_t attributes = in->attributes.count;
    if (c->evidence_column < -2 || c->evidence_column >= attributes || c->verified_column < -2 ||
        c->verified_column >= attributes || c->duplicate_column < -2 || c->duplicate_column >= attributes) {
        PyErr_SetString(PyExc_ValueError, "a check's attribute column is out of range");
        return -1;
    }
    for (Py_ssize_t k = 0; k < kinds; k++) {
        if (c->evidence_condition[k] < -2 || c->evidence_condition[k] >= attributes) {
            PyErr_SetString(PyExc_ValueError, "an evidence condition's column is out of range");
            return -1;
        }
        for (int j = 0; j < CHECKS_PER_KIND; j++)
            if (c->kind_checks[k * CHECKS_PER_KIND + j] >= CHECK_CODES) {
                PyErr_SetString(PyExc_ValueError, "an unknown check code");
                return -1;
            }
    }
    for (Py_ssize_t m = 0; m < members; m++)
        if (c->member_rank[m] < 0 || c->member_rank[m] >= members) {
            PyErr_SetString(PyExc_ValueError, "a member rank is out of range");
            return -1;
        }
    return 0;
}

/* One booked or held event as a member's timeline holds it (gridpoints.timeline.Fact). */
typedef struct {
    int64_t at, quantity;
    int32_t kind;
    uint32_t place_len, id_len;
    const char *place, *id; /* the place's JSON value (place_len 0: none); the id's UTF-8 */
} Fact;

typedef struct {
    Fact *facts;
    size_t n, cap;
} Timeline;

/* The first fact at or after `at` (upper 0) / after `at` (upper 1). */
static size_t bound(const Timeline *t, int64_t at, int upper) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (upper ? t->facts[mid].at <= at : t->facts[mid].at < at) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Record a fact after those at the same instant or earlier, as Timeline.record does. */
static int record(Timeline *t, const Fact *fact) {
    if (grow((void **)&t->facts, &t->cap, t->n, 1, sizeof(Fact)) < 0) return -1;
    size_t at = bound(t, fact->at, 1);
    memmove(&t->facts[at + 1], &t->facts[at], (t->n - at) * sizeof(Fact));
    t->facts[at] = *fact;
    t->n++;
    return 0;
}

static int by_instant_then_id(const void *a, const void *b) {
    const Fact *left = a, *right = b;
    if (left->at != right->at) return left->at < right->at ? -1 : 1;
    size_t common = left->id_len < right->id_len ? left->id_len : right->id_len;
    int order = memcmp(left->id, right->id, common);
    return order ? order : (left->id_len > right->id_len) - (left->id_len < right->id_len);
}

/* The member's stored rows within [lo, hi], sorted by instant then id (RunningState.load). */
static int load_member(Timeline *t, const Store *s, int32_t member, int64_t lo, int64_t hi) {
    t->n = 0;
    Column ids = store_ids(s);
    for (int32_t r = s->member_last[member]; r >= 0; r = s->rows[r].prev_of_member) {
        const Row *row = &s->rows[r];
        if (row->at_us < lo || row->at_us > hi) continue;
        if (grow((void **)&t->facts, &t->cap, t->n, 1, sizeof(Fact)) < 0) return -1;
        size_t id_len;
        const char *id = column_at(&ids, r, &id_len);
        t->facts[t->n++] = (Fact){row->at_us, row->quantity, row->kind, row->place_len, (uint32_t)id_len,
                                  s->payloads.data + row->payload + row->place, id};
    }
    qsort(t->facts, t->n, sizeof(Fact), by_instant_then_id);
    return 0;
}

/* repr() of a text: printable ASCII here (quotes and escapes as str.__repr__ chooses them), the
 * rest asked of Python. */
static int add_repr(Text *t, const char *s, size_t n) {
    int single = 0, twice = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            PyObject *text = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict"), *repr = text ? PyObject_Repr(text) : NULL;
            Py_XDECREF(text);
            if (!repr) return -1;
            int status = text_add_str(t, repr);
            Py_DECREF(repr);
            return status;
        }
        single |= c == '\'', twice |= c == '"';
    }
    char quote = single && !twice ? '"' : '\'';
    if (reserve(t, 4 * n + 2) < 0) return -1;
    char *p = t->data + t->len;
    *p++ = quote;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == quote || c == '\\') *p++ = '\\', *p++ = (char)c;
        else if (c == '\t') *p++ = '\\', *p++ = 't';
        else if (c == '\n') *p++ = '\\', *p++ = 'n';
        else if (c == '\r') *p++ = '\\', *p++ = 'r';
        else if (c < 0x20 || c == 0x7f) {
            static const char digits[] = "0123456789abcdef";
            *p++ = '\\', *p++ = 'x', *p++ = digits[c >> 4], *p++ = digits[c & 15];
        } else *p++ = (char)c;
    }
    *p++ = quote;
    t->len = (size_t)(p - t->data);
    return 0;
}

static int add_text(Text *t, const char *s) { return add_or_fail(t, s, strlen(s)); }

/* evidence's _present for a text: str.strip() leaves something. A printable ASCII byte settles it;
 * text of whitespace and bytes beyond ASCII is asked of Python. -1 on error. */
static int present(const char *s, size_t n) {
    int beyond = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) beyond = 1;
        else if (!(c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f))) return 1;
    }
    if (!beyond) return 0;
    PyObject *text = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict");
    PyObject *stripped = text ? PyObject_CallMethod(text, "strip", NULL) : NULL;
    Py_XDECREF(text);
    if (!stripped) return -1;
    int found = PyUnicode_GET_LENGTH(stripped) > 0;
    Py_DECREF(stripped);
    return found;
}

/* What judging one event needs besides the event. */
typedef struct {
    const Input *in;
    const Checks *checks;
    Timeline *timeline;
    Text *notes;      /* reasons and refs of held events */
    Text payloads;    /* the call's payloads */
    size_t *payload_at;
    uint32_t *payload_len, *place_at, *place_len; /* place_at: within the event's payload */
    int32_t *local_days;
    int64_t *scratch; /* burst's instants */
    size_t scratch_cap;
} Judge;

/* The local date and time of an instant as "%Y-%m-%d %H:%M" (years of four digits: others are refused). */
static int local_minute(const Input *in, int64_t at, char *out) {
    long long local = at + offset_at(in, at), days = days_of(local), minutes = (local - days * DAY_US) / MINUTE_US;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 1000) {
        PyErr_SetString(PyExc_NotImplementedError, "checked: a burst before the year 1000");
        return -1;
    }
    date_label(days, out, NULL);
    out[10] = ' ', out[11] = (char)('0' + minutes / 600), out[12] = (char)('0' + minutes / 60 % 10), out[13] = ':';
    out[14] = (char)('0' + minutes % 60 / 10), out[15] = (char)('0' + minutes % 10), out[16] = '\0';
    return 0;
}

static int add_member(Text *t, const Input *in, Py_ssize_t i) {
    size_t len;
    const char *s = column_at(&in->member_names, in->members[i], &len);
    return add_or_fail(t, s, len);
}

static int add_kind(Text *t, const Input *in, Py_ssize_t i) {
    size_t len;
    const char *s = column_at(&in->kind_names, in->kinds[i], &len);
    return add_or_fail(t, s, len);
}

/* burst (kinds: every kind): some span of `minutes` holding the event and more than `count`. */
static int burst(Judge *j, Py_ssize_t i, int *held) {
    const Checks *c = j->checks;
    const Timeline *t = j->timeline;
    int64_t at = j->in->micros[i], span = c->burst_minutes * MINUTE_US;
    size_t lo = bound(t, at - span, 0), hi = bound(t, at + span, 1), n = hi - lo;
    if ((long long)n < c->burst_count) return 0;
    if (n + 1 > j->scratch_cap) {
        int64_t *grown = realloc(j->scratch, (n + 1) * sizeof *grown);
        if (!grown) { PyErr_NoMemory(); return -1; }
        j->scratch = grown, j->scratch_cap = n + 1;
    }
    int64_t *times = j->scratch; /* the nearby instants with the event's inserted after its equals */
    size_t k = 0, placed = 0;
    for (size_t f = lo; f < hi; f++) {
        if (!placed && t->facts[f].at > at) times[k++] = at, placed = 1;
        times[k++] = t->facts[f].at;
    }
    if (!placed) times[k++] = at;
    for (size_t first = 0, last = 0; first < k; first++) {
        int64_t start = times[first];
        if (start > at) break;
        if (start + span < at) continue;
        if (last < first) last = first;
        while (last < k && times[last] <= start + span) last++;
        if ((long long)(last - first) > c->burst_count) {
            char minute[17];
            if (local_minute(j->in, start, minute) < 0) return -1;
            Text *notes = j->notes;
            if (add_text(notes, "burst: ") < 0 || add_int(notes, (long long)(last - first)) < 0 ||
                add_text(notes, " events of member ") < 0 || add_member(notes, j->in, i) < 0 ||
                add_text(notes, " from ") < 0 || add_text(notes, minute) < 0 || add_text(notes, " within ") < 0 ||
                add_int(notes, c->burst_minutes) < 0 || add_text(notes, " min (more than ") < 0 ||
                add_int(notes, c->burst_count) < 0 ||
                add_text(notes, "); check they were really done, not typed in at once") < 0)
                return -1;
            *held = 1;
            return 0;
        }
    }
    return 0;
}

/* daily_limit: the day's units of the kind, with the event's, over the kind's limit. */
static int daily_limit(Judge *j, Py_ssize_t i, int *held) {
    const Input *in = j->in;
    int32_t kind = in->kinds[i];
    long long limit = j->checks->daily_limits[kind];
    if (limit < 0) return 0;
    int64_t at = in->micros[i], offset = offset_at(in, at);
    int64_t start = days_of(at + offset) * DAY_US - offset, end = start + DAY_US - 1; /* one offset: checked.py */
    long long used = 0;
    for (size_t f = bound(j->timeline, start, 0), hi = bound(j->timeline, end, 1); f < hi; f++)
        if (j->timeline->facts[f].kind == kind) used += j->timeline->facts[f].quantity;
    long long total = used + in->quantities[i];
    if (total <= limit) return 0;
    char day[11];
    date_label(j->local_days[i], day, NULL);
    size_t len;
    const char *limit_text = column_at(&j->checks->daily_limit_texts, kind, &len);
    Text *notes = j->notes;
    if (add_text(notes, "daily limit: ") < 0 || add_int(notes, used) < 0 || add_text(notes, " ") < 0 ||
        add_kind(notes, in, i) < 0 || add_text(notes, " units already recorded on ") < 0 || add_text(notes, day) < 0 ||
        add_text(notes, "; this event's ") < 0 || add_int(notes, in->quantities[i]) < 0 ||
        add_text(notes, " would make ") < 0 || add_int(notes, total) < 0 ||
        add_text(notes, ", over the limit of ") < 0 || add_or_fail(notes, limit_text, len) < 0 ||
        add_text(notes, " per day") < 0)
        return -1;
    *held = 1;
    return 0;
}

/* evidence: the kind (under its condition) needs evidence or a verified mark, and has neither. */
static int evidence(Judge *j, Py_ssize_t i, int *held) {
    const Input *in = j->in;
    const Checks *c = j->checks;
    int32_t kind = in->kinds[i], column = c->evidence_condition[kind];
    size_t len, expected_len;
    if (column != -1) { /* str(attributes.get(name)) != value: an absent attribute reads "None" */
        const char *expected = column_at(&c->evidence_values, kind, &expected_len);
        const char *value = "None";
        len = 4;
        if (column >= 0 && in->attributes.columns[column].present[i])
            value = column_at(&in->attributes.columns[column], i, &len);
        if (len != expected_len || memcmp(value, expected, len) != 0) return 0;
    }
    if (c->evidence_column >= 0 && in->attributes.columns[c->evidence_column].present[i]) {
        const char *value = column_at(&in->attributes.columns[c->evidence_column], i, &len);
        int found = present(value, len);
        if (found) return found < 0 ? -1 : 0;
    }
    if (c->verified_column >= 0 && in->attributes.columns[c->verified_column].present[i]) {
        const char *value = column_at(&in->attributes.columns[c->verified_column], i, &len);
        PyObject *answer = PyObject_CallFunction(c->verified, "s#", value, (Py_ssize_t)len);
        int verified = answer ? PyObject_IsTrue(answer) : -1;
        Py_XDECREF(answer);
        if (verified) return verified < 0 ? -1 : 0;
    }
    const char *reason = column_at(&c->evidence_reasons, kind, &len);
    if (add_or_fail(j->notes, reason, len) < 0) return -1;
    *held = 1;
    return 0;
}

/* duplicate_submission: an event of the member of the same kind at the same place within the
 * window, judged before it (the earliest in the timeline's order is the ref). *ref: its fact. */
static int duplicate_submission(Judge *j, Py_ssize_t i, int *held, const Fact **ref) {
    const Input *in = j->in;
    const Checks *c = j->checks;
    if (c->duplicate_column < 0 || !in->attributes.columns[c->duplicate_column].present[i]) return 0;
    size_t place_len;
    const char *place = column_at(&in->attributes.columns[c->duplicate_column], i, &place_len);
    if (place_len == 0) return 0;
    const char *json = j->payloads.data + j->payload_at[i] + j->place_at[i];
    uint32_t json_len = j->place_len[i];
    int64_t at = in->micros[i], span = c->duplicate_minutes * MINUTE_US;
    const Timeline *t = j->timeline;
    for (size_t f = bound(t, at - span, 0), hi = bound(t, at + span, 1); f < hi; f++) {
        const Fact *other = &t->facts[f];
        if (other->kind != in->kinds[i] || other->place_len != json_len || memcmp(other->place, json, json_len) != 0)
            continue;
        int64_t apart = at > other->at ? at - other->at : other->at - at;
        Text *notes = j->notes;
        if (add_text(notes, "possible duplicate: ") < 0 || add_kind(notes, in, i) < 0 || add_text(notes, " at ") < 0 ||
            add_or_fail(notes, c->duplicate_attribute, (size_t)c->duplicate_attribute_len) < 0 ||
            add_text(notes, " ") < 0 || add_repr(notes, place, place_len) < 0 || add_text(notes, " ") < 0 ||
            add_int(notes, apart / MINUTE_US) < 0 || add_text(notes, " min from event ") < 0 ||
            add_repr(notes, other->id, other->id_len) < 0 ||
            add_text(notes, " of the same member (within ") < 0 || add_int(notes, c->duplicate_minutes) < 0 ||
            add_text(notes, " min); confirm they are two different pieces of work") < 0)
            return -1;
        *held = 1;
        *ref = other;
        return 0;
    }
    return 0;
}

/* The first verdict of the kind's checks on event i: its code (NO_CHECK: none), its reason and
 * ref appended to notes (their lengths in *reason_len, *ref_len). -1 on error. */
static int judge(Judge *j, Py_ssize_t i, uint32_t *reason_len, uint32_t *ref_len) {
    const uint8_t *codes = &j->checks->kind_checks[j->in->kinds[i] * CHECKS_PER_KIND];
    size_t before = j->notes->len;
    for (int k = 0; k < CHECKS_PER_KIND && codes[k] != NO_CHECK; k++) {
        int held = 0, status;
        const Fact *ref = NULL;
        switch (codes[k]) {
        case BURST: status = burst(j, i, &held); break;
        case DAILY_LIMIT: status = daily_limit(j, i, &held); break;
        case EVIDENCE: status = evidence(j, i, &held); break;
        default: status = duplicate_submission(j, i, &held, &ref); break;
        }
        if (status < 0) return -1;
        if (!held) continue;
        *reason_len = (uint32_t)(j->notes->len - before);
        *ref_len = ref ? ref->id_len : 0;
        if (ref && add_or_fail(j->notes, ref->id, ref->id_len) < 0) return -1;
        return codes[k];
    }
    return NO_CHECK;
}

/* One event row of the call, in judging order, until the commit copies it into the store. */
typedef struct {
    int32_t event;
    uint8_t status, check;
    uint32_t reason_len, ref_len;
    size_t note; /* in the call's notes */
} Pending;

/* The judging order's sort within one member: instant, id, input index. */
static const Input *sorting;
static int by_judging_order(const void *a, const void *b) {
    int32_t left = *(const int32_t *)a, right = *(const int32_t *)b;
    int64_t at_left = sorting->micros[left], at_right = sorting->micros[right];
    if (at_left != at_right) return at_left < at_right ? -1 : 1;
    size_t left_len, right_len;
    const char *left_id = column_at(&sorting->ids, left, &left_len), *right_id = column_at(&sorting->ids, right, &right_len);
    size_t common = left_len < right_len ? left_len : right_len;
    int order = memcmp(left_id, right_id, common);
    if (order) return order;
    if (left_len != right_len) return left_len < right_len ? -1 : 1;
    return (left > right) - (left < right);
}

/* One text column of event_line (intake.h's text_counted); -1, no Python error set, when memory
 * runs out (the threaded commit runs it off the GIL). */
static int line_text(Text *t, const char *s, size_t n) { return text_counted(t, (const unsigned char *)s, n); }

/* The text event_line (gridpoints.stores.intakes) hashes of store row r, into text (emptied
 * first); the row's id into *id, *id_len. -1 (no Python error set) when memory runs out. */
static int row_text(const Store *s, size_t r, const Input *in, Text *text, const char **id, size_t *id_len) {
    const Row *row = &s->rows[r];
    Column ids = store_ids(s);
    size_t member_len, kind_len;
    *id = column_at(&ids, (Py_ssize_t)r, id_len);
    const char *member = column_at(&in->member_names, row->member, &member_len);
    const char *kind = column_at(&in->kind_names, row->kind, &kind_len);
    const char *status = row->status == HELD ? "held" : "booked", *check = CHECK_NAMES[row->check];
    const char *notes = s->notes.data ? s->notes.data + row->note : "";
    char day[11];
    date_label(row->local_days, day, NULL);
    text->len = 0;
    if (line_text(text, *id, *id_len) < 0 || line_text(text, member, member_len) < 0 ||
        line_text(text, kind, kind_len) < 0 || text_int(text, row->at_us) < 0 || text_add(text, ";", 1) < 0 ||
        line_text(text, day, 7) < 0 || line_text(text, status, strlen(status)) < 0 ||
        line_text(text, s->payloads.data + row->payload, row->payload_len) < 0 ||
        line_text(text, check, strlen(check)) < 0 || line_text(text, notes, row->reason_len) < 0 ||
        line_text(text, notes + row->reason_len, row->ref_len) < 0)
        return -1;
    return 0;
}

/* event_line of store row r into line (gpi1: hashed per row, sorted by id at the intake row). */
static int row_line(const Store *s, size_t r, const Input *in, Text *text, Line *line) {
    if (row_text(s, r, in, text, &line->id, &line->id_len) < 0) return -1;
    sha256_bytes(text->data, text->len, line->line);
    return 0;
}

/* What one call leaves for materialize: the outcome of each event and whom it conflicts with
 * (a store row for STORED_CONFLICT, the first copy's event index for CALL_CONFLICT). */
typedef struct {
    unsigned char *outcome;
    int32_t *conflict_with;
    Py_ssize_t events;
} Outcomes;

static void outcomes_free(PyObject *capsule) {
    Outcomes *o = PyCapsule_GetPointer(capsule, "checked.outcomes");
    if (o) free(o->outcome), free(o->conflict_with), free(o);
}

/* The commit: the call's pending rows copied into the store (judging order), their lines hashed,
 * the intake row appended, the booked entries (staged past entries_n by the chaining) added, the
 * heads moved. gpi2 (a trial format, not the library's): the intake's digest is one SHA-256 over
 * "gpi2" and the rows' line texts in the rows' order — judging order: member, instant, id — with
 * no digest per row and no sort; its hash says gpi2.
 *
 * In three steps, so that the middle one can run on a second thread beside the chaining (threads
 * 2, an option of the trial): commit_reserve (with the GIL: every arena grown, which changes no
 * content), commit_write (no Python object or API: the rows, ids, payloads and notes written past
 * the store's published lengths, the id table's slots and each member's last row set, the lines
 * hashed, the intake row made past intakes_n; on failure — a line's scratch text out of memory —
 * it undoes the slots and the members' last rows itself) and commit_publish (with the GIL, after
 * the chaining succeeded: the lengths, counts and heads moved). commit_undo takes a written
 * commit back when the chaining failed after it: the store is then as it was. */
typedef struct {
    Store *s;
    const Input *in;
    const Judge *j;
    const Pending *pending;
    size_t pending_n;
    const Text *call_notes;
    int gpi2;
    Line *lines;      /* gpi1: each row's line */
    Text text;        /* commit_write's own scratch */
    size_t ids_len, payloads_len, notes_len; /* the arenas' lengths once written */
    int written, failed; /* commit_write succeeded / failed (and undid itself) */
    double seconds;      /* commit_write's */
} Commit;

static int commit_reserve(Commit *c) {
    Store *s = c->s;
    size_t id_bytes = 0, payload_bytes = 0, pending_n = c->pending_n;
    for (size_t k = 0; k < pending_n; k++) {
        size_t len;
        column_at(&c->in->ids, c->pending[k].event, &len);
        id_bytes += len;
        payload_bytes += c->j->payload_len[c->pending[k].event];
    }
    c->lines = malloc((pending_n && !c->gpi2 ? pending_n : 1) * sizeof *c->lines);
    if (!c->lines) { PyErr_NoMemory(); return -1; }
    if (grow((void **)&s->rows, &s->rows_cap, s->rows_n, pending_n, sizeof(Row)) < 0 ||
        grow((void **)&s->intakes, &s->intakes_cap, s->intakes_n, 1, sizeof(Intake)) < 0 ||
        reserve(&s->ids, id_bytes) < 0 || reserve(&s->payloads, payload_bytes) < 0 ||
        reserve(&s->notes, c->call_notes->len) < 0 || store_reserve_ids(s, s->rows_n + pending_n) < 0)
        return -1;
    int64_t *offsets = realloc(s->id_offsets, (s->rows_n + pending_n + 1) * sizeof *offsets);
    if (!offsets) { PyErr_NoMemory(); return -1; }
    s->id_offsets = offsets;
    return 0;
}

/* Rows base .. base + written - 1 taken back: the id table's slots of the first `indexed` of
 * them emptied, last first (linear probing: the table is then as before they were added), and
 * each member's last row set back. */
static void commit_unwind(Store *s, size_t base, size_t indexed, size_t written) {
    Column ids = {s->ids.data, s->id_offsets, NULL, (Py_ssize_t)(base + written)};
    for (size_t k = indexed; k-- > 0;) {
        size_t len;
        const char *id = column_at(&ids, (Py_ssize_t)(base + k), &len);
        s->by_id.slots[idset_find(&s->by_id, &ids, id, len)] = -1;
    }
    for (size_t k = written; k-- > 0;) s->member_last[s->rows[base + k].member] = s->rows[base + k].prev_of_member;
}

static int commit_write(Commit *c) {
    double started = seconds_now();
    Store *s = c->s;
    const Input *in = c->in;
    const Judge *j = c->j;
    size_t base = s->rows_n, pending_n = c->pending_n;
    size_t ids_len = s->ids.len, payloads_len = s->payloads.len, notes_len = s->notes.len;
    int32_t intake = (int32_t)s->intakes_n + 1;
    for (size_t k = 0; k < pending_n; k++) {
        const Pending *p = &c->pending[k];
        size_t r = base + k, len;
        const char *id = column_at(&in->ids, p->event, &len);
        memcpy(s->ids.data + ids_len, id, len);
        ids_len += len;
        s->id_offsets[r + 1] = (int64_t)ids_len;
        Row *row = &s->rows[r];
        int32_t member = in->members[p->event];
        *row = (Row){payloads_len, notes_len, j->payload_len[p->event], p->reason_len, p->ref_len,
                     j->place_at[p->event], j->place_len[p->event], in->micros[p->event], in->quantities[p->event],
                     member, in->kinds[p->event], j->local_days[p->event], s->member_last[member], intake,
                     p->status, p->check};
        memcpy(s->payloads.data + payloads_len, j->payloads.data + j->payload_at[p->event], row->payload_len);
        payloads_len += row->payload_len;
        if (p->reason_len + p->ref_len) { /* the arenas exist once a hold wrote to them */
            memcpy(s->notes.data + notes_len, c->call_notes->data + p->note, p->reason_len + p->ref_len);
            notes_len += p->reason_len + p->ref_len;
        }
        s->member_last[member] = (int32_t)r;
    }
    Column ids = {s->ids.data, s->id_offsets, NULL, (Py_ssize_t)(base + pending_n)};
    SHA256_CTX gpi2_sha;
    if (c->gpi2) SHA256_Init(&gpi2_sha), SHA256_Update(&gpi2_sha, "gpi2", 4);
    for (size_t k = 0; k < pending_n; k++) {
        size_t r = base + k, len;
        const char *id = column_at(&ids, (Py_ssize_t)r, &len);
        s->by_id.slots[idset_find(&s->by_id, &ids, id, len)] = (int32_t)r;
        int status = c->gpi2 ? row_text(s, r, in, &c->text, &id, &len) : row_line(s, r, in, &c->text, &c->lines[k]);
        if (status < 0) {
            commit_unwind(s, base, k + 1, pending_n);
            c->failed = 1;
            return -1;
        }
        if (c->gpi2) SHA256_Update(&gpi2_sha, c->text.data, c->text.len);
    }
    if (pending_n) {
        Intake *row = &s->intakes[s->intakes_n]; /* published by commit_publish */
        row->seq = intake, row->events = (int64_t)pending_n;
        memcpy(row->prev, s->intakes_n ? s->intakes[s->intakes_n - 1].hash : GENESIS, 64);
        Head head = {.seq = intake - 1};
        memcpy(head.hash, row->prev, 64), head.hash[64] = '\0';
        char digest[65], hash[65];
        int status;
        if (c->gpi2) {
            unsigned char bytes[SHA256_DIGEST_LENGTH];
            SHA256_Final(bytes, &gpi2_sha);
            hex(bytes, digest), digest[64] = '\0';
            status = intake_chained("gpi2", &head, pending_n, digest, &c->text, hash);
        } else status = intake_row(c->lines, pending_n, &head, &c->text, digest, hash);
        if (status < 0) {
            commit_unwind(s, base, pending_n, pending_n);
            c->failed = 1;
            return -1;
        }
        memcpy(row->digest, digest, 64), memcpy(row->hash, hash, 64);
    }
    c->ids_len = ids_len, c->payloads_len = payloads_len, c->notes_len = notes_len;
    c->written = 1;
    c->seconds = seconds_now() - started;
    return 0;
}

static void *commit_thread(void *commit) {
    commit_write(commit);
    return NULL;
}

/* A written commit taken back (the chaining failed). */
static void commit_undo(Commit *c) {
    if (c->written) commit_unwind(c->s, c->s->rows_n, c->pending_n, c->pending_n), c->written = 0;
}

static void commit_publish(Commit *c, size_t booked, long long seq, const char *prev) {
    Store *s = c->s;
    s->rows_n += c->pending_n;
    s->ids.len = c->ids_len, s->payloads.len = c->payloads_len, s->notes.len = c->notes_len;
    if (c->pending_n) s->intakes_n++;
    s->entries_n += booked;
    s->seq = seq;
    memcpy(s->prev, prev, 64);
}

/* grouped (an option of the trial): the call's per-event columns gathered member by member
 * (members by rank, unknown members' events last; input order kept within a member: a counting
 * sort), in the timed pass, so that judging and the commit read each member's events side by
 * side rather than where the arrival order scattered them. The gathered Input shares the
 * engine's tables with the call's; orig[k] is gathered event k's input index. */
typedef struct {
    char *ids, *values[MAX_ATTRIBUTES];
    int64_t *id_offsets, *value_offsets[MAX_ATTRIBUTES], *micros, *quantities;
    unsigned char *present[MAX_ATTRIBUTES];
    int32_t *members, *kinds, *orig; /* orig: NULL when not grouped */
} Gathered;

static void gathered_free(Gathered *g) {
    free(g->ids), free(g->id_offsets), free(g->micros), free(g->quantities);
    free(g->members), free(g->kinds), free(g->orig);
    for (int c = 0; c < MAX_ATTRIBUTES; c++) free(g->values[c]), free(g->value_offsets[c]), free(g->present[c]);
}

/* The input index of event k of the pass's input (gathered or not). */
static inline int32_t input_index(const Gathered *g, Py_ssize_t k) { return g->orig ? g->orig[k] : (int32_t)k; }

/* A text column gathered: value k of *out is value orig[k] of *in (present: NULL for none). */
static int gather_column(const Column *in, const int32_t *orig, Py_ssize_t n, char **data, int64_t **offsets,
                         unsigned char **present, Column *out) {
    size_t bytes = (size_t)(in->offsets[n] - in->offsets[0]);
    *data = malloc(bytes ? bytes : 1), *offsets = malloc(((size_t)n + 1) * sizeof **offsets);
    int with_present = present && in->present;
    if (with_present) *present = malloc(n ? (size_t)n : 1);
    if (!*data || !*offsets || (with_present && !*present)) { PyErr_NoMemory(); return -1; }
    int64_t at = 0;
    (*offsets)[0] = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        size_t len;
        const char *value = column_at(in, orig[k], &len);
        memcpy(*data + at, value, len);
        (*offsets)[k + 1] = at += (int64_t)len;
        if (with_present) (*present)[k] = in->present[orig[k]];
    }
    *out = (Column){*data, *offsets, with_present ? *present : NULL, n};
    return 0;
}

/* *out: the call `in` gathered by member (see Gathered), its buffers in *g. */
static int gather(const Input *in, const int32_t *member_rank, Py_ssize_t members, Input *out, Gathered *g) {
    Py_ssize_t n = in->n;
    size_t slots = n ? (size_t)n : 1;
    int32_t *starts = calloc((size_t)members + 2, sizeof *starts);
    g->orig = malloc(slots * 4), g->members = malloc(slots * 4);
    g->kinds = malloc(slots * 4), g->micros = malloc(slots * 8), g->quantities = malloc(slots * 8);
    if (!starts || !g->orig || !g->members || !g->kinds || !g->micros || !g->quantities) {
        free(starts);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) starts[(in->members[i] >= 0 ? member_rank[in->members[i]] : members) + 1]++;
    for (Py_ssize_t b = 0; b <= members; b++) starts[b + 1] += starts[b];
    for (Py_ssize_t i = 0; i < n; i++)
        g->orig[starts[in->members[i] >= 0 ? member_rank[in->members[i]] : members]++] = (int32_t)i;
    free(starts);
    for (Py_ssize_t k = 0; k < n; k++) {
        int32_t i = g->orig[k];
        g->members[k] = in->members[i], g->kinds[k] = in->kinds[i];
        g->micros[k] = in->micros[i], g->quantities[k] = in->quantities[i];
    }
    *out = *in;
    out->members = g->members, out->kinds = g->kinds, out->micros = g->micros, out->quantities = g->quantities;
    if (gather_column(&in->ids, g->orig, n, &g->ids, &g->id_offsets, NULL, &out->ids) < 0) return -1;
    for (Py_ssize_t c = 0; c < in->attributes.count; c++)
        if (gather_column(&in->attributes.columns[c], g->orig, n, &g->values[c], &g->value_offsets[c], &g->present[c],
                          &out->attributes.columns[c]) < 0)
            return -1;
    return 0;
}

/* run(store, events, tables, checks, deadline, tail_for, grouped, gpi2): one call booked into the
 * store (the module's comment; grouped: see Gathered; gpi2: see commit). Returns (outcomes
 * capsule, booked, held, duplicates, rejected, seq, prev, seconds: the pass, its stages (gather —
 * 0 unless grouped —, input, judging, chaining, commit), tail seconds, tail misses). */
static PyObject *run(PyObject *self, PyObject *args) {
    PyObject *capsule, *events, *tables, *checks_t, *tail_for;
    long long deadline;
    int grouped, gpi2, threads;
    if (!PyArg_ParseTuple(args, "OO!O!O!LOppi", &capsule, &PyTuple_Type, &events, &PyTuple_Type, &tables,
                          &PyTuple_Type, &checks_t, &deadline, &tail_for, &grouped, &gpi2, &threads))
        return NULL;
    if (threads != 1 && threads != 2) {
        PyErr_SetString(PyExc_ValueError, "threads: 1 or 2");
        return NULL;
    }
    Store *s = PyCapsule_GetPointer(capsule, "checked.store");
    Input in, call; /* the pass's input (call's events gathered when grouped) and the call's */
    Checks checks;
    if (!s || input_from(events, tables, &in) < 0 || parse_checks(checks_t, &in, s->members, &checks) < 0) return NULL;
    if (in.member_names.n != s->members) {
        PyErr_SetString(PyExc_ValueError, "the store was made for another number of members");
        return NULL;
    }
    Py_ssize_t n = in.n;
    size_t slots = n ? (size_t)n : 1;
    Outcomes *o = calloc(1, sizeof *o);
    Judge j = {.in = &in, .checks = &checks};
    Timeline timeline = {0};
    Text notes = {0}, text = {0};
    IdSet seen = {0};
    Gathered gathered = {0};
    Commit c = {0};
    int working = 0, failed = 0;
    int32_t *rule_of = malloc(slots * 4), *row_of = malloc(slots * 4), *admitted = malloc(slots * 4);
    int32_t *order = malloc(slots * 4), *starts = calloc((size_t)s->members + 1, 4);
    Pending *pending = malloc(slots * sizeof *pending);
    j.timeline = &timeline, j.notes = &notes;
    j.payload_at = malloc(slots * sizeof *j.payload_at);
    j.payload_len = malloc(slots * 4), j.place_at = malloc(slots * 4), j.place_len = malloc(slots * 4);
    j.local_days = malloc(slots * 4);
    PyObject *result = NULL;
    if (!o || !(o->outcome = malloc(slots)) || !(o->conflict_with = malloc(slots * 4)) || !rule_of || !row_of ||
        !admitted || !order || !starts || !pending || !j.payload_at || !j.payload_len || !j.place_at ||
        !j.place_len || !j.local_days) {
        PyErr_NoMemory();
        goto done;
    }
    o->events = n;
    double started = seconds_now(), tail_seconds = 0;
    long long tail_misses = 0;
    call = in;
    if (grouped && gather(&call, checks.member_rank, s->members, &in, &gathered) < 0) goto done;
    double inputs = seconds_now();
    memset(o->conflict_with, 0xff, slots * sizeof *o->conflict_with);
    Py_ssize_t booked_n = 0, held_n = 0, duplicates_n = 0, rejected_n = 0, admitted_n = 0;
    int64_t first_at = INT64_MAX, last_at = INT64_MIN;
    if (store_reserve_ids(s, s->rows_n + (size_t)n) < 0 || idset_init(&seen, n) < 0) goto done;
    Column stored_ids = store_ids(s);

    /* 1. Input order: payload, the store's ids, admission, the local day. */
    for (Py_ssize_t i = 0; i < n; i++) {
        size_t id_len;
        const char *id = column_at(&in.ids, i, &id_len);
        int32_t member = in.members[i], kind = in.kinds[i], index = input_index(&gathered, i);
        int32_t stored = s->by_id.slots[idset_find(&s->by_id, &stored_ids, id, id_len)];
        if (stored >= 0 && (member < 0 || kind < 0)) {
            /* the payload names the member and kind: their texts are not in the columns */
            PyErr_Format(PyExc_NotImplementedError, "event %d: a known id with an unknown member or kind", index);
            goto done;
        }
        size_t at = j.payloads.len, place_at = 0, place_len = 0;
        if (member >= 0 && kind >= 0 && payload_into(&j.payloads, &in, i, checks.duplicate_column, &place_at, &place_len) < 0)
            goto done;
        j.payload_at[i] = at, j.payload_len[i] = (uint32_t)(j.payloads.len - at);
        j.place_at[i] = (uint32_t)(place_len ? place_at - at : 0), j.place_len[i] = (uint32_t)place_len;
        if (stored >= 0) {
            const Row *row = &s->rows[stored];
            int same = row->payload_len == j.payload_len[i] &&
                       memcmp(s->payloads.data + row->payload, j.payloads.data + at, row->payload_len) == 0;
            o->outcome[index] = same ? DUPLICATE : STORED_CONFLICT;
            o->conflict_with[index] = stored;
            same ? duplicates_n++ : rejected_n++;
            j.payloads.len = at; /* not needed past the comparison */
            continue;
        }
        int code = admit(&in, i, deadline, &rule_of[index]); /* at the input index: chaining's order */
        if (code >= 0) {
            o->outcome[index] = (unsigned char)code;
            rejected_n++;
            j.payloads.len = at;
            continue;
        }
        j.local_days[i] = (int32_t)days_of(in.micros[i] + offset_at(&in, in.micros[i]));
        if (in.micros[i] < first_at) first_at = in.micros[i];
        if (in.micros[i] > last_at) last_at = in.micros[i];
        admitted[admitted_n++] = (int32_t)i;
        starts[checks.member_rank[member] + 1]++;
    }
    double judging = seconds_now();

    /* 2. Judging order: members by id (their ranks counted), each member's events sorted. */
    for (Py_ssize_t m = 0; m < s->members; m++) starts[m + 1] += starts[m];
    for (Py_ssize_t a = 0; a < admitted_n; a++) order[starts[checks.member_rank[in.members[admitted[a]]]]++] = admitted[a];
    sorting = &in;
    size_t pending_n = 0;
    for (Py_ssize_t a = 0, end; a < admitted_n; a = end) {
        int32_t member = in.members[order[a]];
        for (end = a + 1; end < admitted_n && in.members[order[end]] == member; end++) {}
        qsort(&order[a], (size_t)(end - a), sizeof *order, by_judging_order);
        if (load_member(&timeline, s, member, first_at - checks.window_us, last_at + checks.window_us) < 0) goto done;
        for (Py_ssize_t g = a; g < end; g++) {
            int32_t i = order[g];
            size_t id_len;
            const char *id = column_at(&in.ids, i, &id_len);
            size_t seen_slot = idset_find(&seen, &in.ids, id, id_len);
            int32_t first = seen.slots[seen_slot], index = input_index(&gathered, i);
            if (first >= 0) { /* judged already in this call: a duplicate, or a conflict if changed */
                int same = j.payload_len[first] == j.payload_len[i] &&
                           memcmp(j.payloads.data + j.payload_at[first], j.payloads.data + j.payload_at[i],
                                  j.payload_len[i]) == 0;
                o->outcome[index] = same ? DUPLICATE : CALL_CONFLICT;
                o->conflict_with[index] = input_index(&gathered, first);
                same ? duplicates_n++ : rejected_n++;
                continue;
            }
            Pending *p = &pending[pending_n];
            p->event = i, p->note = notes.len, p->reason_len = p->ref_len = 0;
            int check = judge(&j, i, &p->reason_len, &p->ref_len);
            if (check < 0) goto done;
            p->check = (uint8_t)check;
            p->status = check ? HELD : BOOKED;
            o->outcome[index] = p->status;
            check ? held_n++ : booked_n++;
            Fact fact = {in.micros[i], in.quantities[i], in.kinds[i], j.place_len[i], (uint32_t)id_len,
                         j.payloads.data + j.payload_at[i] + j.place_at[i], id};
            if (record(&timeline, &fact) < 0) goto done;
            seen.slots[seen_slot] = i;
            row_of[index] = (int32_t)(s->rows_n + pending_n++);
        }
    }
    double chaining = seconds_now();

    /* threads 2: the commit's rows written on a second thread (commit_write: no Python) while
     * this one, which keeps the GIL, chains; both read judging's results only, and write apart
     * (the store's rows, ids, payloads, notes, id table, members' last rows and next intake row
     * there; the entries past entries_n and the tail cache here). Published after the join. */
    c = (Commit){.s = s, .in = &in, .j = &j, .pending = pending, .pending_n = pending_n, .call_notes = &notes,
                 .gpi2 = gpi2};
    pthread_t worker;
    if (threads == 2) {
        if (commit_reserve(&c) < 0) goto done;
        if (pthread_create(&worker, NULL, commit_thread, &c) != 0) {
            PyErr_SetString(PyExc_RuntimeError, "checked: cannot start the commit's thread");
            goto done;
        }
        working = 1;
    }

    /* 3. Input order: the booked events' entries, chained after the store's head: the call's
     * columns, rule_of and row_of read in input order; grouped, the local day computed again
     * rather than read where the gathered order put it. A failure breaks out (the thread joined
     * before anything else). */
    long long seq = s->seq;
    char prev[64];
    memcpy(prev, s->prev, 64);
    size_t staged = 0;
    failed = grow((void **)&s->entries, &s->entries_cap, s->entries_n, (size_t)booked_n, sizeof(Entry)) < 0;
    for (Py_ssize_t i = 0; i < n && !failed; i++) {
        if (o->outcome[i] != BOOKED) continue;
        char day[11];
        int32_t month;
        date_label(gathered.orig ? days_of(call.micros[i] + offset_at(&call, call.micros[i])) : j.local_days[i], day,
                   &month);
        int32_t member = call.members[i], rule = call.rule_index[rule_of[i]];
        TailKey key = {member, rule, month, call.quantities[i]};
        int32_t tail_at = tail_index(&s->tails, &key, tail_for, &in.member_names, day, &tail_seconds, &tail_misses);
        if (tail_at < 0) { failed = 1; break; }
        const Tail *tail = &s->tails.tails[tail_at];
        Entry *entry = &s->entries[s->entries_n + staged++];
        size_t id_len, member_len, kind_len;
        const char *id = column_at(&call.ids, i, &id_len);
        const char *member_name = column_at(&call.member_names, member, &member_len);
        const char *kind_name = column_at(&call.kind_names, call.kinds[i], &kind_len);
        if (entry_hash(&text, prev, seq + 1, member_name, member_len, id, id_len, kind_name, kind_len, day,
                       s->tails.texts.data + tail->tail, tail->end - tail->tail, entry->hash) < 0) {
            failed = 1;
            break;
        }
        entry->seq = ++seq, entry->row = row_of[i], entry->rule = rule, entry->tail = tail_at;
        memcpy(prev, entry->hash, 64);
    }
    double committing = seconds_now();

    /* 4. Commit: joined (threads 2) or written here, then published — or taken back. */
    if (working) pthread_join(worker, NULL);
    else if (!failed && commit_reserve(&c) == 0) commit_write(&c);
    else failed = 1;
    if (c.failed && !failed) PyErr_NoMemory(); /* commit_write sets no Python error */
    if (failed || c.failed) {
        commit_undo(&c);
        goto done;
    }
    commit_publish(&c, staged, seq, prev);
    double ended = seconds_now();
    PyObject *outcomes = PyCapsule_New(o, "checked.outcomes", outcomes_free);
    if (!outcomes) goto done;
    o = NULL; /* the capsule frees them now */
    /* threads 2: commit is the thread's own time; after judging, both stages side by side took
     * ended - chaining */
    result = Py_BuildValue("(NnnnnLs#(ddddddd)dL)", outcomes, booked_n, held_n, duplicates_n, rejected_n, seq, prev,
                           (Py_ssize_t)64, ended - started, inputs - started, judging - inputs, chaining - judging,
                           committing - chaining, working ? c.seconds : ended - committing, ended - chaining,
                           tail_seconds, tail_misses);
done:
    if (o) free(o->outcome), free(o->conflict_with), free(o);
    free(timeline.facts), free(notes.data), free(text.data), free(seen.slots), free(j.payloads.data);
    free(j.payload_at), free(j.payload_len), free(j.place_at), free(j.place_len), free(j.local_days), free(j.scratch);
    free(rule_of), free(row_of), free(admitted), free(order), free(starts), free(pending);
    free(c.lines), free(c.text.data);
    gathered_free(&gathered);
    return result;
}

/* outcomes(outcomes capsule) → (outcome bytes, conflicts with: a list of int per event). */
static PyObject *outcomes(PyObject *self, PyObject *args) {
    PyObject *capsule;
    if (!PyArg_ParseTuple(args, "O", &capsule)) return NULL;
    Outcomes *o = PyCapsule_GetPointer(capsule, "checked.outcomes");
    if (!o) return NULL;
    PyObject *conflicts = PyList_New(o->events);
    if (!conflicts) return NULL;
    for (Py_ssize_t i = 0; i < o->events; i++) {
        PyObject *index = PyLong_FromLong(o->conflict_with[i]);
        if (!index) { Py_DECREF(conflicts); return NULL; }
        PyList_SET_ITEM(conflicts, i, index);
    }
    return Py_BuildValue("(y#N)", (const char *)o->outcome, o->events, conflicts);
}

/* contents(store) → (rows, entries, intakes, tails, (seq, prev)), for tests: rows as (id, member
 * index, kind index, occurred µs, day label, status, payload, check, reason, ref, intake seq);
 * entries as (seq, row, rule index, tail index, hash); intakes as (seq, events, digest, prev,
 * hash); tails as (cents, coefficient, quantity, tail). */
static PyObject *contents(PyObject *self, PyObject *args) {
    PyObject *capsule;
    if (!PyArg_ParseTuple(args, "O", &capsule)) return NULL;
    Store *s = PyCapsule_GetPointer(capsule, "checked.store");
    if (!s) return NULL;
    PyObject *rows = PyList_New((Py_ssize_t)s->rows_n), *entries = PyList_New((Py_ssize_t)s->entries_n);
    PyObject *intakes = PyList_New((Py_ssize_t)s->intakes_n), *tails = tails_list(&s->tails);
    PyObject *result = NULL;
    if (!rows || !entries || !intakes || !tails) goto done;
    Column ids = store_ids(s);
    for (size_t r = 0; r < s->rows_n; r++) {
        const Row *row = &s->rows[r];
        size_t id_len;
        const char *id = column_at(&ids, (Py_ssize_t)r, &id_len);
        const char *note = s->notes.data ? s->notes.data + row->note : ""; /* no arena before the first hold */
        char day[11];
        date_label(row->local_days, day, NULL);
        PyObject *item = Py_BuildValue("(s#iiLs#ss#ss#s#i)", id, (Py_ssize_t)id_len, row->member, row->kind,
                                       (long long)row->at_us, day, (Py_ssize_t)10,
                                       row->status == HELD ? "held" : "booked", s->payloads.data + row->payload,
                                       (Py_ssize_t)row->payload_len, CHECK_NAMES[row->check], note,
                                       (Py_ssize_t)row->reason_len, note + row->reason_len, (Py_ssize_t)row->ref_len,
                                       row->intake);
        if (!item) goto done;
        PyList_SET_ITEM(rows, (Py_ssize_t)r, item);
    }
    for (size_t e = 0; e < s->entries_n; e++) {
        const Entry *entry = &s->entries[e];
        PyObject *item = Py_BuildValue("(Liiis#)", (long long)entry->seq, entry->row, entry->rule, entry->tail,
                                       entry->hash, (Py_ssize_t)64);
        if (!item) goto done;
        PyList_SET_ITEM(entries, (Py_ssize_t)e, item);
    }
    for (size_t k = 0; k < s->intakes_n; k++) {
        const Intake *intake = &s->intakes[k];
        PyObject *item = Py_BuildValue("(LLs#s#s#)", (long long)intake->seq, (long long)intake->events, intake->digest,
                                       (Py_ssize_t)64, intake->prev, (Py_ssize_t)64, intake->hash, (Py_ssize_t)64);
        if (!item) goto done;
        PyList_SET_ITEM(intakes, (Py_ssize_t)k, item);
    }
    result = Py_BuildValue("(OOOO(Ls#))", rows, entries, intakes, tails, s->seq, s->prev, (Py_ssize_t)64);
done:
    Py_XDECREF(rows), Py_XDECREF(entries), Py_XDECREF(intakes), Py_XDECREF(tails);
    return result;
}

static PyMethodDef methods[] = {
    {"store", store, METH_VARARGS, "A new, empty native in-memory store (see the module source)."},
    {"run", run, METH_VARARGS, "Book a call's packed columns into a store, checks on (see the module source)."},
    {"outcomes", outcomes, METH_VARARGS, "A call's outcomes as Python values (for tests)."},
    {"contents", contents, METH_VARARGS, "A store's rows, entries and intakes as Python values (for tests)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_gp_native_checked", NULL, -1, methods};

PyMODINIT_FUNC PyInit__gp_native_checked(void) { return PyModule_Create(&module); }

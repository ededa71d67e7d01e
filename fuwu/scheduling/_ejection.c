/* Route elimination for the vehicle routing problem with time windows: the guided ejection
 * search of Nagata and Bräysy ("A powerful route minimization heuristic for the vehicle routing
 * problem with time windows", Operations Research Letters 37, 2009), without their squeeze step.
 *
 * From a feasible plan, take a route out and put its customers in the ejection pool (EP); then,
 * one customer at a time from the pool (last in, first out):
 *   - insert it where the plan stays feasible, choosing at random among such places;
 *   - if there is none, add 1 to its failure count p[v], insert it where the plan becomes
 *     feasible again by ejecting at most KMAX other customers of that route, with the least sum
 *     of the ejected customers' p (ties at random), put those in the pool, and perturb the plan
 *     with IRAND random feasible moves (relocate, exchange, 2-opt*), so that the next insertion
 *     meets a different plan.
 * An empty pool is a feasible plan with one route fewer; then take out another.
 *
 * Integers only (PyVRP's units): times and travel in the same unit, the travel matrix as PyVRP's
 * duration matrix (Solomon's distances x 1000 rounded up), so a plan found here is feasible
 * for PyVRP and, rounding up, in real numbers. Node 0 is the depot.
 *
 * Python: _ejection.eliminate(n, duration, ready, due, service, demand, capacity, routes,
 *     lower_bound, seconds, cpu_clock, seed, kmax, irand, restart, stop) -> (routes, ejections)
 * duration: bytes-like, n*n int64, row-major; ready/due/service/demand: bytes-like, n int64;
 * routes: list of lists of customer numbers (1..n-1), a feasible plan. Returns the plan with
 * the fewest routes found (the given one if none), and how many ejections it took. The GIL is
 * released while it searches; another thread may set stop[0] (a bytearray) to end it early.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int64_t i64;

#define NEAR 20 /* neighbours a perturbation move looks at */

typedef struct {
    int len;
    int *c;   /* customers, c[0..len-1] */
    i64 *a;   /* earliest service start at each position */
    i64 *z;   /* latest service start at each position for the rest to stay feasible */
    i64 load;
} Route;

typedef struct {
    int n;
    const i64 *d, *e, *l, *s, *q;
    i64 cap;
    int nr, cap_routes;
    Route *r;
    int *route_of; /* route index of each customer, -1 in the pool */
    int *near;     /* n*NEAR nearest customers by travel time */
    int *p;        /* failure counts */
    int *pool, npool;
    uint64_t rng;
    /* scratch */
    int *buf, *buf2, *ej, *best_ej;
    i64 *zz;
    char *zok;
    int best_k, best_sum, ties, best_route, best_len;
    struct timespec t0;
    int cpu;
    double seconds;
    volatile const char *stop; /* the caller's flag: nonzero = stop now, as if out of time */
} G;

static uint64_t rnd(G *g) {
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return g->rng * 2685821657736338717ULL;
}
static int rnd_below(G *g, int k) { return (int)(rnd(g) % (uint64_t)k); }

static double elapsed(G *g) {
    struct timespec t;
    clock_gettime(g->cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - g->t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - g->t0.tv_nsec);
}

static int out_of_time(G *g) { return *g->stop || elapsed(g) >= g->seconds; }

#define D(g, i, j) ((g)->d[(size_t)(i) * (size_t)(g)->n + (size_t)(j)])

static i64 near_key(G *g, int u, int v) { return D(g, u, v) < D(g, v, u) ? D(g, u, v) : D(g, v, u); }

/* Feasibility of a customer sequence: windows, return to the depot by its due time, load. */
static int feasible(G *g, const int *c, int len) {
    i64 t = g->e[0], load = 0;
    int prev = 0;
    for (int i = 0; i < len; i++) {
        t += (prev ? g->s[prev] : 0) + D(g, prev, c[i]);
        if (t < g->e[c[i]]) t = g->e[c[i]];
        if (t > g->l[c[i]]) return 0;
        load += g->q[c[i]];
        prev = c[i];
    }
    if (load > g->cap) return 0;
    return len == 0 || t + g->s[prev] + D(g, prev, 0) <= g->l[0];
}

/* Recompute a route's schedule (a, z, load) after its customers changed. */
static void refresh(G *g, int ri) {
    Route *r = &g->r[ri];
    i64 t = g->e[0];
    int prev = 0;
    r->load = 0;
    for (int i = 0; i < r->len; i++) {
        int c = r->c[i];
        t += (prev ? g->s[prev] : 0) + D(g, prev, c);
        if (t < g->e[c]) t = g->e[c];
        r->a[i] = t;
        r->load += g->q[c];
        g->route_of[c] = ri;
        prev = c;
    }
    i64 late = g->l[0];
    int next = 0;
    for (int i = r->len - 1; i >= 0; i--) {
        int c = r->c[i];
        i64 v = late - g->s[c] - D(g, c, next);
        r->z[i] = v < g->l[c] ? v : g->l[c];
        late = r->z[i];
        next = c;
    }
}

static void set_route(G *g, int ri, const int *c, int len) {
    memcpy(g->r[ri].c, c, sizeof(int) * (size_t)len);
    g->r[ri].len = len;
    refresh(g, ri);
}

static void drop_route(G *g, int ri) {
    /* the last route takes its place */
    int last = g->nr - 1;
    if (ri != last) {
        Route tmp = g->r[ri];
        g->r[ri] = g->r[last];
        g->r[last] = tmp;
        for (int i = 0; i < g->r[ri].len; i++) g->route_of[g->r[ri].c[i]] = ri;
    }
    g->nr--;
}

/* Can v go before position `at` of route ri (at == len: at the end)? O(1) with a and z. */
static int fits(G *g, int ri, int at, int v) {
    Route *r = &g->r[ri];
    if (r->load + g->q[v] > g->cap) return 0;
    int prev = at > 0 ? r->c[at - 1] : 0;
    i64 t = at > 0 ? r->a[at - 1] + g->s[prev] : g->e[0];
    t += D(g, prev, v);
    if (t < g->e[v]) t = g->e[v];
    if (t > g->l[v]) return 0;
    t += g->s[v];
    if (at < r->len) return t + D(g, v, r->c[at]) <= r->z[at];
    return t + D(g, v, 0) <= g->l[0];
}

static void insert_at(G *g, int ri, int at, int v) {
    Route *r = &g->r[ri];
    memmove(r->c + at + 1, r->c + at, sizeof(int) * (size_t)(r->len - at));
    r->c[at] = v;
    r->len++;
    refresh(g, ri);
}

/* -- the ejection search ------------------------------------------------------------------- */

/* Route `buf` (v inserted at position vpos), zz/zok its latest starts and whether the suffix
 * from each position can be kept as it is. Depth-first over positions: keep or eject each. */
static void dfs(G *g, int len, int vpos, int i, int prev, i64 t, int k, int psum, i64 load,
                int ri, int kmax) {
    if (psum > g->best_sum) return;
    if (i == len) {
        if (load <= g->cap && t + D(g, prev, 0) <= g->l[0]) goto found;
        return;
    }
    int c = g->buf[i];
    i64 a = t + D(g, prev, c);
    if (a < g->e[c]) a = g->e[c];
    if (a <= g->l[c]) {
        if (a <= g->zz[i] && g->zok[i + 1] && load <= g->cap) goto found; /* the rest as it is */
        dfs(g, len, vpos, i + 1, c, a + g->s[c], k, psum, load, ri, kmax);
    }
    if (i != vpos && k < kmax && psum + g->p[c] <= g->best_sum) {
        g->ej[k] = i;
        dfs(g, len, vpos, i + 1, prev, t, k + 1, psum + g->p[c], load - g->q[c], ri, kmax);
    }
    return;
found:
    if (psum < g->best_sum) {
        g->best_sum = psum;
        g->ties = 0;
    }
    g->ties++;
    if (rnd_below(g, g->ties) == 0) { /* reservoir: each tie equally likely */
        g->best_k = k;
        memcpy(g->best_ej, g->ej, sizeof(int) * (size_t)k);
        memcpy(g->buf2, g->buf, sizeof(int) * (size_t)len);
        g->best_route = ri;
        g->best_len = len;
    }
}

/* Insert v somewhere by ejecting at most kmax customers with the least sum of p; the ejected
 * go to the pool. 0 if no such place exists. */
static int eject_insert(G *g, int v, int kmax) {
    g->best_sum = 1 << 30;
    g->ties = 0;
    g->best_k = -1;
    for (int ri = 0; ri < g->nr; ri++) {
        Route *r = &g->r[ri];
        for (int at = 0; at <= r->len; at++) {
            int len = r->len + 1;
            memcpy(g->buf, r->c, sizeof(int) * (size_t)at);
            g->buf[at] = v;
            memcpy(g->buf + at + 1, r->c + at, sizeof(int) * (size_t)(r->len - at));
            i64 late = g->l[0];
            int next = 0;
            g->zok[len] = 1;
            for (int i = len - 1; i >= 0; i--) {
                int c = g->buf[i];
                i64 x = late - g->s[c] - D(g, c, next);
                g->zz[i] = x < g->l[c] ? x : g->l[c];
                g->zok[i] = g->zok[i + 1] && g->zz[i] >= g->e[c];
                late = g->zz[i];
                next = c;
            }
            dfs(g, len, at, 0, 0, g->e[0], 0, 0, r->load + g->q[v], ri, kmax);
        }
    }
    if (g->best_k < 0) return 0;
    int ri = g->best_route, rlen = g->best_len, out = 0, e = 0; /* buf2: that route with v */
    for (int i = 0; i < rlen; i++) {
        if (e < g->best_k && g->best_ej[e] == i) {
            int c = g->buf2[i];
            g->route_of[c] = -1;
            g->pool[g->npool++] = c;
            e++;
        } else {
            g->buf[out++] = g->buf2[i];
        }
    }
    set_route(g, ri, g->buf, out);
    return 1;
}

/* -- perturbation: random feasible moves ---------------------------------------------------- */

static void perturb(G *g, int moves) {
    for (int m = 0; m < moves; m++) {
        int u = 1 + rnd_below(g, g->n - 1);
        int w = g->near[(size_t)u * NEAR + (size_t)rnd_below(g, NEAR)];
        int ru = g->route_of[u], rw = g->route_of[w];
        if (ru < 0 || rw < 0 || ru == rw) continue;
        Route *a = &g->r[ru], *b = &g->r[rw];
        int pu = 0, pw = 0;
        while (a->c[pu] != u) pu++;
        while (b->c[pw] != w) pw++;
        int kind = rnd_below(g, 3), la = 0, lb = 0;
        int *x = g->buf, *y = g->buf2;
        if (kind == 0) { /* relocate u after w */
            for (int i = 0; i < a->len; i++)
                if (i != pu) x[la++] = a->c[i];
            for (int i = 0; i < b->len; i++) {
                y[lb++] = b->c[i];
                if (i == pw) y[lb++] = u;
            }
            if (la == 0) continue; /* never empty a route: the fleet only shrinks by removal */
        } else if (kind == 1) { /* exchange u and w */
            memcpy(x, a->c, sizeof(int) * (size_t)a->len);
            memcpy(y, b->c, sizeof(int) * (size_t)b->len);
            la = a->len;
            lb = b->len;
            x[pu] = w;
            y[pw] = u;
        } else { /* 2-opt*: u's route up to u then w's tail after w, and the other way round */
            for (int i = 0; i <= pu; i++) x[la++] = a->c[i];
            for (int i = pw + 1; i < b->len; i++) x[la++] = b->c[i];
            for (int i = 0; i <= pw; i++) y[lb++] = b->c[i];
            for (int i = pu + 1; i < a->len; i++) y[lb++] = a->c[i];
        }
        if (!feasible(g, x, la) || !feasible(g, y, lb)) continue;
        set_route(g, ru, x, la);
        set_route(g, rw, y, lb);
    }
}

/* -- one route fewer, again and again ------------------------------------------------------- */

static void save(G *g, int *plan, int *lens, int *nroutes) {
    *nroutes = g->nr;
    int k = 0;
    for (int ri = 0; ri < g->nr; ri++) {
        lens[ri] = g->r[ri].len;
        memcpy(plan + k, g->r[ri].c, sizeof(int) * (size_t)g->r[ri].len);
        k += g->r[ri].len;
    }
}

static void restore(G *g, const int *plan, const int *lens, int nroutes) {
    int k = 0;
    for (int c = 0; c < g->n; c++) g->route_of[c] = -1;
    g->nr = nroutes;
    for (int ri = 0; ri < nroutes; ri++) {
        set_route(g, ri, plan + k, lens[ri]);
        k += lens[ri];
    }
}

/* Take one route out of the plan and empty the pool into the rest: 1 if done, 0 if out of time
 * or after `budget` ejections (then the plan is half made: the caller restores it). */
static int one_fewer(G *g, int kmax, int irand, long budget, long *ejections) {
    int gone = rnd_below(g, g->nr);
    g->npool = 0;
    for (int i = 0; i < g->r[gone].len; i++) {
        g->pool[g->npool++] = g->r[gone].c[i];
        g->route_of[g->r[gone].c[i]] = -1;
    }
    drop_route(g, gone);
    for (int c = 0; c < g->n; c++) g->p[c] = 1;
    long spent = 0;
    while (g->npool > 0) {
        if ((spent & 15) == 0 && out_of_time(g)) return 0;
        if (budget > 0 && spent >= budget) return 0;
        int v = g->pool[--g->npool];
        int spots = 0, to_r = -1, to_at = -1;
        for (int ri = 0; ri < g->nr; ri++)
            for (int at = 0; at <= g->r[ri].len; at++)
                if (fits(g, ri, at, v) && rnd_below(g, ++spots) == 0) {
                    to_r = ri; /* reservoir: each feasible place equally likely */
                    to_at = at;
                }
        if (spots > 0) {
            insert_at(g, to_r, to_at, v);
            continue;
        }
        g->p[v]++;
        spent++;
        (*ejections)++;
        if (!eject_insert(g, v, kmax)) {
            /* no place even with kmax ejections: back to the bottom of the pool */
            memmove(g->pool + 1, g->pool, sizeof(int) * (size_t)g->npool);
            g->pool[0] = v;
            g->npool++;
        }
        perturb(g, irand);
    }
    return 1;
}

/* One route fewer again and again until `lower_bound` routes or out of time. A step that has
 * not succeeded after `restart` ejections starts over from the last plan, with another route
 * taken out (0: never); each start over allows half as many ejections again as the last. */
static long search(G *g, int lower_bound, int kmax, int irand, long restart, int *plan,
                   int *lens, int *nroutes) {
    long ejections = 0, budget = restart;
    save(g, plan, lens, nroutes);
    while (g->nr > lower_bound && g->nr > 1 && !out_of_time(g)) {
        if (one_fewer(g, kmax, irand, budget, &ejections)) {
            save(g, plan, lens, nroutes);
            budget = restart;
        } else {
            restore(g, plan, lens, *nroutes);
            budget += budget / 2;
        }
    }
    return ejections;
}

/* -- Python --------------------------------------------------------------------------------- */

static int want(Py_buffer *b, Py_ssize_t items, const char *what) {
    if (b->len != items * (Py_ssize_t)sizeof(i64)) {
        PyErr_Format(PyExc_ValueError, "%s: %zd int64 values expected", what, items);
        return 0;
    }
    return 1;
}

static PyObject *eliminate(PyObject *self, PyObject *args) {
    int n, lower_bound, cpu, kmax, irand;
    long restart;
    long long cap;
    unsigned long long seed;
    double seconds;
    Py_buffer bd, be, bl, bs, bq, bstop;
    PyObject *routes_in;
    if (!PyArg_ParseTuple(args, "iy*y*y*y*y*LO!idpKiilw*", &n, &bd, &be, &bl, &bs, &bq,
                          &cap, &PyList_Type, &routes_in, &lower_bound, &seconds, &cpu, &seed,
                          &kmax, &irand, &restart, &bstop))
        return NULL;
    PyObject *result = NULL;
    G g;
    memset(&g, 0, sizeof g);
    int *plan = NULL, *lens = NULL;
    if (n < 2 || !want(&bd, (Py_ssize_t)n * n, "duration") || !want(&be, n, "ready") ||
        !want(&bl, n, "due") || !want(&bs, n, "service") || !want(&bq, n, "demand"))
        goto done;
    if (bstop.len < 1) {
        PyErr_SetString(PyExc_ValueError, "stop: a writable buffer of at least 1 byte expected");
        goto done;
    }
    if (kmax < 1 || kmax > 8) {
        PyErr_SetString(PyExc_ValueError, "kmax must be 1 to 8");
        goto done;
    }
    g.n = n;
    g.d = bd.buf;
    g.e = be.buf;
    g.l = bl.buf;
    g.s = bs.buf;
    g.q = bq.buf;
    g.cap = cap;
    g.cpu = cpu;
    g.seconds = seconds;
    g.stop = bstop.buf;
    g.rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    Py_ssize_t nroutes_in = PyList_GET_SIZE(routes_in);
    g.cap_routes = (int)nroutes_in;
    g.r = calloc((size_t)nroutes_in + 1, sizeof(Route));
    g.route_of = malloc(sizeof(int) * (size_t)n);
    g.near = malloc(sizeof(int) * (size_t)n * NEAR);
    g.p = malloc(sizeof(int) * (size_t)n);
    g.pool = malloc(sizeof(int) * (size_t)n);
    g.buf = malloc(sizeof(int) * (size_t)(n + 2));
    g.buf2 = malloc(sizeof(int) * (size_t)(n + 2));
    g.ej = malloc(sizeof(int) * 8);
    g.best_ej = malloc(sizeof(int) * 8);
    g.zz = malloc(sizeof(i64) * (size_t)(n + 1));
    g.zok = malloc((size_t)n + 2);
    plan = malloc(sizeof(int) * (size_t)n);
    lens = malloc(sizeof(int) * ((size_t)nroutes_in + 1));
    if (!g.r || !g.route_of || !g.near || !g.p || !g.pool || !g.buf || !g.buf2 || !g.zz ||
        !g.zok || !g.ej || !g.best_ej || !plan || !lens) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t ri = 0; ri <= nroutes_in; ri++) {
        Route *r = &g.r[ri];
        r->c = malloc(sizeof(int) * (size_t)n);
        r->a = malloc(sizeof(i64) * (size_t)n);
        r->z = malloc(sizeof(i64) * (size_t)n);
        if (!r->c || !r->a || !r->z) {
            PyErr_NoMemory();
            goto done;
        }
    }
    for (int c = 0; c < n; c++) g.route_of[c] = -1;
    int seen = 0;
    for (Py_ssize_t ri = 0; ri < nroutes_in; ri++) {
        PyObject *route = PyList_GET_ITEM(routes_in, ri);
        if (!PyList_Check(route)) {
            PyErr_SetString(PyExc_TypeError, "each route must be a list");
            goto done;
        }
        Py_ssize_t len = PyList_GET_SIZE(route);
        Route *r = &g.r[g.nr];
        if (len >= n) {
            PyErr_SetString(PyExc_ValueError, "a route visits more customers than there are");
            goto done;
        }
        for (Py_ssize_t i = 0; i < len; i++) {
            long c = PyLong_AsLong(PyList_GET_ITEM(route, i));
            if (c == -1 && PyErr_Occurred()) goto done;
            if (c < 1 || c >= n || g.route_of[c] != -1) {
                PyErr_Format(PyExc_ValueError, "customer %ld: not in 1..%d or visited twice",
                             c, n - 1);
                goto done;
            }
            r->c[i] = (int)c;
            g.route_of[c] = g.nr;
        }
        r->len = (int)len;
        seen += (int)len;
        if (!feasible(&g, r->c, r->len)) {
            PyErr_Format(PyExc_ValueError, "route %zd is not feasible", ri);
            goto done;
        }
        if (len > 0) {
            refresh(&g, g.nr);
            g.nr++;
        }
    }
    if (seen != n - 1) {
        PyErr_Format(PyExc_ValueError, "the plan visits %d customers of %d", seen, n - 1);
        goto done;
    }
    /* nearest customers by travel time, either way */
    for (int u = 1; u < n; u++) {
        int *row = g.near + (size_t)u * NEAR, k = 0;
        for (int v = 1; v < n; v++) {
            if (v == u) continue;
            i64 dv = near_key(&g, u, v);
            int at;
            if (k < NEAR)
                at = k++;
            else if (dv >= near_key(&g, u, row[NEAR - 1]))
                continue;
            else
                at = NEAR - 1;
            while (at > 0 && near_key(&g, u, row[at - 1]) > dv) {
                row[at] = row[at - 1];
                at--;
            }
            row[at] = v;
        }
        for (int i = k; i < NEAR; i++) row[i] = k ? row[i % k] : u; /* few customers */
    }
    clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &g.t0);
    int nroutes = 0;
    long ejections;
    Py_BEGIN_ALLOW_THREADS;
    ejections = search(&g, lower_bound, kmax, irand, restart, plan, lens, &nroutes);
    Py_END_ALLOW_THREADS;
    PyObject *out = PyList_New(nroutes);
    if (!out) goto done;
    int k = 0;
    for (int ri = 0; ri < nroutes; ri++) {
        PyObject *route = PyList_New(lens[ri]);
        if (!route) {
            Py_DECREF(out);
            goto done;
        }
        for (int i = 0; i < lens[ri]; i++) PyList_SET_ITEM(route, i, PyLong_FromLong(plan[k++]));
        PyList_SET_ITEM(out, ri, route);
    }
    result = Py_BuildValue("(Nl)", out, ejections);
done:
    if (g.r) {
        for (int ri = 0; ri <= g.cap_routes; ri++) {
            free(g.r[ri].c);
            free(g.r[ri].a);
            free(g.r[ri].z);
        }
        free(g.r);
    }
    free(g.route_of);
    free(g.near);
    free(g.p);
    free(g.pool);
    free(g.buf);
    free(g.buf2);
    free(g.ej);
    free(g.best_ej);
    free(g.zz);
    free(g.zok);
    free(plan);
    free(lens);
    PyBuffer_Release(&bd);
    PyBuffer_Release(&be);
    PyBuffer_Release(&bl);
    PyBuffer_Release(&bs);
    PyBuffer_Release(&bq);
    PyBuffer_Release(&bstop);
    return result;
}

static PyMethodDef methods[] = {
    {"eliminate", eliminate, METH_VARARGS,
     "Route elimination by guided ejection search (see the module's source)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ejection", NULL, -1, methods};

PyMODINIT_FUNC PyInit__ejection(void) { return PyModule_Create(&module); }

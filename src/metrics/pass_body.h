/*
 * The body of the metric pass, included once by each build (pass_generic.c, pass_avx2.c,
 * pass_avx512.c) after it defined its eight-lane layer:
 *   vd (eight doubles), vm (a lane mask) and
 *   vzero vset1 vload vstore vadd vsub vmul vdiv vfma (a * b + c, one rounding: C's fma)
 *   vmin (a < b ? a : b) vabs vsel,
 *   vlt vle veq vne (C's comparisons) mandn (a & ~b) mnot mor mall many mbits (bit l = lane l),
 *   mcount (lanes set), vsh1 vsh2 vsh4 (lanes moved up, zeros in),
 *   vkeep (the masked lanes stored in lane order from dst, eight slots written; returns the count),
 *   vb7 (lane 7 in every lane) and vlanes (0, 1, ..., 7),
 * and CT__PASS_FN, CT__DD_FN and CT__SPLIT_FN, the names of the exported pass, drawdown walk and
 * partition. See pass.h for what the lanes hold.
 *
 * Per chunk of CT__CHUNK bars, the core loop computes the returns with their power sums,
 * downside sums, exposure, drawdowns and the cross-moments with benchmark levels (two divisions
 * per block, which overlap the rest), and marks the blocks of eight zero returns (no position: the
 * equity does not move). Then, over the chunk's returns still in L1: the log curve
 * cumsum(log1p(r)) with its regression (stability) and the percentile brackets, together on the
 * blocks that moved (a flat block only repeats the last level and adds eight zeros to the
 * counts); the cross-moments with host benchmark returns. Branches on the data are avoided where
 * the outcome is hard to predict (measured: a flat-block branch in the core loop cost more than
 * it saved; in these phases the flags are known ahead and runs of flat blocks are long).
 */

#define CT__HOT static inline __attribute__((always_inline))

/* The squared drawdowns in two sums, by the parity of the block (bars 1-8 are block 0): two
 * dependency chains, so a walk doing only the drawdowns is not bound by one chain's latency.
 * U2v is the sum the block at bar b adds to. */
#define CT__DD_LOAD_SUMS(b)                                                                                            \
    vd U2v = vload(kp->U2v), U2w = vload(kp->U2w);                                                                     \
    if ((((b) - 1) >> 3) & 1) {                                                                                        \
        const vd t_ = U2v;                                                                                             \
        U2v = U2w;                                                                                                     \
        U2w = t_;                                                                                                      \
    }
#define CT__DD_STORE_SUMS(b)                                                                                           \
    do {                                                                                                               \
        const int odd_ = (((b) - 1) >> 3) & 1;                                                                         \
        vstore(odd_ ? kp->U2w : kp->U2v, U2v);                                                                         \
        vstore(odd_ ? kp->U2v : kp->U2w, U2w);                                                                         \
    } while (0)

/* the drawdown state back into *kp, the running period's trough folded (pass_body, CT__DD_FN) */
#define CT__DD_STORE()                                                                                                 \
    do {                                                                                                               \
        if (in_dd) {                                                                                                   \
            double tv_[CT__LANES], tr_ = trs;                                                                          \
            vstore(tv_, TRv);                                                                                          \
            for (int j_ = 0; j_ < CT__LANES; j_++)                                                                     \
                tr_ = tv_[j_] < tr_ ? tv_[j_] : tr_;                                                                   \
            kp->trough = tr_;                                                                                          \
            mdd = tr_ < mdd ? tr_ : mdd;                                                                               \
        }                                                                                                              \
        kp->peak = peak, kp->inv_peak = inv_peak, kp->mdd = mdd, kp->U2 = U2s, kp->dd_sum = dd_sum;                   \
        kp->peak_i = peak_i, kp->dd_count = dd_count, kp->max_dur = max_dur, kp->max_dur_ms = max_dur_ms;             \
        kp->in_dd = in_dd;                                                                                             \
    } while (0)

/* the drawdown state machine on the block of eight equities e1 from bar bi (the locals of
 * pass_body and CT__DD_FN): eight bars under the running peak are done at once, and so are eight
 * bars level with it outside a drawdown (a flat stretch at the peak) */
#define CT__DD_BLOCK(e1, bi)                                                                                            \
    do {                                                                                                                \
        vd pk = vset1(peak);                                                                                            \
        if (mall(vlt(e1, pk))) {                                                                                        \
            vd dd = vmul(vsub(e1, pk), vset1(inv_peak));                                                                \
            U2v = vfma(dd, dd, U2v);                                                                                    \
            TRv = vmin(dd, TRv);                                                                                        \
            in_dd = 1;                                                                                                  \
        } else if (!in_dd && mall(veq(e1, pk))) {                                                                       \
            peak_i = bi + 7;                                                                                            \
        } else {                                                                                                        \
            double tv[CT__LANES];                                                                                       \
            vstore(tv, TRv);                                                                                            \
            for (int l = 0; l < CT__LANES; l++) {                                                                       \
                double e = E[bi + l];                                                                                   \
                int64_t i = bi + l;                                                                                     \
                if (e >= peak) {                                                                                        \
                    if (in_dd) { /* a new peak closes the running drawdown period */                                    \
                        double tr = trs;                                                                                \
                        for (int j = 0; j < CT__LANES; j++)                                                             \
                            tr = tv[j] < tr ? tv[j] : tr;                                                               \
                        int64_t dur = i - peak_i, dur_ms = tm ? tm[i] - tm[peak_i] : 0;                                 \
                        max_dur = dur > max_dur ? dur : max_dur;                                                        \
                        max_dur_ms = dur_ms > max_dur_ms ? dur_ms : max_dur_ms;                                         \
                        dd_sum += tr;                                                                                   \
                        dd_count++;                                                                                     \
                        mdd = tr < mdd ? tr : mdd;                                                                      \
                        in_dd = 0;                                                                                      \
                        trs = inf;                                                                                      \
                        for (int j = 0; j < CT__LANES; j++)                                                             \
                            tv[j] = inf;                                                                                \
                    }                                                                                                   \
                    if (e != peak) { /* a higher peak (an equal one changes nothing) */                                 \
                        peak = e;                                                                                       \
                        inv_peak = 1.0 / e;                                                                             \
                    }                                                                                                   \
                    peak_i = i;                                                                                         \
                } else {                                                                                                \
                    double dd = (e - peak) * inv_peak;                                                                  \
                    U2s += dd * dd;                                                                                     \
                    trs = dd < trs ? dd : trs;                                                                          \
                    in_dd = 1;                                                                                          \
                }                                                                                                       \
            }                                                                                                           \
            TRv = vload(tv);                                                                                            \
        }                                                                                                               \
        const vd t_ = U2v; /* the other block parity's sum next: two chains */                                         \
        U2v = U2w;                                                                                                      \
        U2w = t_;                                                                                                       \
    } while (0)

CT__HOT int64_t pass_body(ct__kstate *kp, const double *E, const double *bl, const double *br, int64_t n,
                          const int do_log, const int do_bench, const int do_pct, const int do_dd)
{
    const vd zero = vzero(), one = vset1(1.0), C = vset1(kp->c), CB = vset1(kp->cb);
    const double xbar = kp->xbar;
    const int64_t *tm = kp->tm;
    const double *pos = kp->pos;
    ct__bracket *b5 = kp->b5, *b95 = kp->b95;
    double *buf5 = do_pct ? b5->buf : NULL, *buf95 = do_pct ? b95->buf : NULL;
    const vd vlo5 = vset1(do_pct ? b5->lo : 0), vhi5 = vset1(do_pct ? b5->hi : 0);
    const vd vlo95 = vset1(do_pct ? b95->lo : 0), vhi95 = vset1(do_pct ? b95->hi : 0);
    int64_t n5 = do_pct ? b5->nbuf : 0, n95 = do_pct ? b95->nbuf : 0, cap = do_pct ? b5->cap : 0;
    int keep_pct = do_pct;
    vd S1 = vload(kp->S1), S2 = vload(kp->S2), S3 = vload(kp->S3), S4 = vload(kp->S4);
    vd D2 = vload(kp->D2), NG = vload(kp->NG), EMIN = vload(kp->EMIN);
    CT__DD_LOAD_SUMS(kp->from);
    vd Y1 = vload(kp->Y1), Y2 = vload(kp->Y2), XY = vload(kp->XY);
    vd NB = vload(kp->NB), B1 = vload(kp->B1), B2 = vload(kp->B2), RB = vload(kp->RB), X1 = vload(kp->X1);
    vd T1 = vload(kp->T1), T2 = vload(kp->T2), B5S = vload(kp->B5S);
    int64_t B5N = 0, B95N = 0, ZC = 0, HELD = 0; /* counts (on the integer side: popcounts) */
    double bprod = kp->bprod;
    vd YC = vset1(kp->y_prev); /* the log level of the last bar done, in every lane */
    /* drawdown state: the running period's trough is min(trs, lanes of TRv) (both +inf at a
     * period's start); the deepest drawdown is folded in at each period's end */
    const double inf = (double)INFINITY;
    double peak = kp->peak, inv_peak = kp->inv_peak, mdd = kp->mdd, U2s = kp->U2, dd_sum = kp->dd_sum;
    double trs = kp->in_dd ? kp->trough : inf;
    vd TRv = vset1(inf);
    int64_t peak_i = kp->peak_i, dd_count = kp->dd_count, max_dur = kp->max_dur, max_dur_ms = kp->max_dur_ms;
    int in_dd = kp->in_dd;
    const int need_r = do_log || do_pct || (do_bench && !bl), need_flat = do_log || do_pct;
    double rbuf[CT__CHUNK] __attribute__((aligned(64))); /* the chunk's returns, for the phases */
    uint64_t moved; /* bit k: block k of the chunk has a return that is not 0 (a position moved) */
    /* a block of eight returns r against both percentile brackets: count those below and the
     * zeros, append the non-zero ones inside (without a branch: a block holds one about half the
     * time) */
#define CT__PCT_BLOCK(r)                                                                                               \
    do {                                                                                                               \
        vm bl5 = vlt(r, vlo5), bl95 = vlt(r, vlo95), z = veq(r, zero);                                                 \
        vm in5 = mandn(vle(r, vhi5), bl5), in95 = mandn(vle(r, vhi95), bl95);                                          \
        B5N += mcount(bl5);                                                                                            \
        B5S = vadd(B5S, vsel(bl5, r, zero));                                                                           \
        B95N += mcount(bl95);                                                                                          \
        ZC += mcount(z);                                                                                               \
        n5 += vkeep(buf5 + n5, mandn(in5, z), r);                                                                      \
        n95 += vkeep(buf95 + n95, mandn(in95, z), r);                                                                  \
    } while (0)
    /* g flat blocks from block f of the chunk at the level YC: the regression sums of g levels
     * at once, with the run's regression indices summed exactly (g TI(f) + 8 (0 + ... + g-1)) */
#define CT__FLAT_RUN(g, f)                                                                                             \
    do {                                                                                                               \
        const vd G = vset1((double)(g));                                                                               \
        const vd TIS = vfma(G, vadd(TI0, vset1(8.0 * (double)(f))), vset1(4.0 * (double)(g) * (double)((g) - 1)));     \
        Y1 = vfma(G, YC, Y1);                                                                                          \
        Y2 = vfma(G, vmul(YC, YC), Y2);                                                                                \
        XY = vfma(TIS, YC, XY);                                                                                        \
    } while (0)
    /* what a flat block adds to the counts: eight zeros, below a bracket whose lower bound is > 0 */
    const int64_t flat5 = do_pct && b5->lo > 0 ? 8 : 0, flat95 = do_pct && b95->lo > 0 ? 8 : 0;
    /* Where the 5% bracket lies below 0 and the 95% one above (the usual case), most returns fall
     * between them and only count below the 95% bracket: a block then only sets aside its tail
     * returns (<= hi5, or not < lo95, NaNs included), which the brackets take per chunk. */
    const int tails = do_pct && b5->hi < 0 && b95->lo > 0;
    double tbuf[CT__CHUNK + CT__LANES] __attribute__((aligned(64)));
    int64_t nt = 0;
#define CT__PCT_OR_TAIL(r)                                                                                             \
    do {                                                                                                               \
        if (tails) {                                                                                                   \
            vm t = mor(vle(r, vhi5), mnot(vlt(r, vlo95)));                                                             \
            B95N += 8 - mcount(t);                                                                                     \
            nt += vkeep(tbuf + nt, t, r);                                                                              \
        } else {                                                                                                       \
            CT__PCT_BLOCK(r);                                                                                          \
        }                                                                                                              \
    } while (0)
    const int64_t from = kp->from;
    int64_t bi = from;
    for (int64_t a = from; a + 8 <= n; a += CT__CHUNK) {
        const int64_t len = (n - a < CT__CHUNK ? n - a : CT__CHUNK) & ~(int64_t)7;
        moved = 0;
        for (bi = a; bi < a + len; bi += 8) {
            const int64_t q = bi - a;
            vd e1 = vload(E + bi), e0 = vload(E + bi - 1);
            if (do_log)
                EMIN = vmin(e1, EMIN); /* the log curve needs positive equity */
            if (pos)
                HELD += mcount(vne(vload(pos + bi), zero));
            /* returns and their sums, eight at a time */
            vd r = vdiv(vsub(e1, e0), e0);
            vd x = vsub(r, C), x2 = vmul(x, x);
            S1 = vadd(S1, x);
            S2 = vfma(x, x, S2);
            S3 = vfma(x2, x, S3);
            S4 = vfma(x2, x2, S4);
            /* a block of eight zero returns (no position: the equity did not move) keeps the
             * log curve's level and only adds zeros to the bracket counts (a level of 0 gives
             * NaN returns, not zeros) */
            if (need_flat)
                moved |= (uint64_t)!mall(veq(r, zero)) << (q >> 3);
            vd ng = vmin(r, zero);
            D2 = vfma(ng, ng, D2);
            NG = vsub(NG, ng);
            if (do_dd)
                CT__DD_BLOCK(e1, bi);
            if (do_bench && bl) {
                /* benchmark levels (the feed's close, same bars): every return defined */
                vd b0 = vload(bl + bi - 1), b = vdiv(vsub(vload(bl + bi), b0), b0);
                vd xb = vsub(b, CB), xd = vsub(x, xb);
                B1 = vadd(B1, xb);
                B2 = vfma(xb, xb, B2);
                RB = vfma(x, xb, RB);
                T1 = vadd(T1, xd);
                T2 = vfma(xd, xd, T2);
            }
            if (need_r)
                vstore(rbuf + q, r);
        }
        const int64_t nblk = len >> 3;
        if (do_log) {
            /* the blocks that moved, in order; the flat ones between them keep the level YC,
             * so each run of them is added at once (with its zeros for the brackets). TI0: the
             * regression index - its mean of block 0's lanes (exact: integers and halves) */
            const vd TI0 = vadd(vset1((double)(a - 1) - xbar), vlanes()), small = vset1(1.0 / 64);
            int64_t prev = -1;
            for (uint64_t mv = moved;; mv &= mv - 1) {
                const int64_t bk = mv ? (int64_t)__builtin_ctzll(mv) : nblk, gap = bk - prev - 1;
                if (gap) {
                    CT__FLAT_RUN(gap, prev + 1);
                    if (keep_pct)
                        ZC += 8 * gap, B5N += flat5 * gap, B95N += flat95 * gap;
                }
                if (!mv)
                    break;
                vd r = vload(rbuf + 8 * bk), l;
                if (keep_pct) /* the brackets here, while r is in a register */
                    CT__PCT_OR_TAIL(r);
                if (mall(vle(vabs(r), small))) {
                    /* the log curve as empyrical builds it, cumsum(log1p(r)): log1p by its
                     * series to r^9 where |r| <= 1/64 (error below 1e-17 of the value), by
                     * Estrin's scheme (a short dependency chain, so blocks overlap) */
                    vd r2 = vmul(r, r), r4 = vmul(r2, r2);
                    vd p01 = vfma(r, vset1(-0.5), one), p23 = vfma(r, vset1(-0.25), vset1(1.0 / 3));
                    vd p45 = vfma(r, vset1(-1.0 / 6), vset1(0.2));
                    vd p67 = vfma(r, vset1(-0.125), vset1(1.0 / 7));
                    vd q0 = vfma(r2, p23, p01), q1 = vfma(r2, p67, p45);
                    l = vmul(r, vfma(r4, vfma(r4, vset1(1.0 / 9), q1), q0));
                } else { /* a large move (or NaN) in the block: libm */
                    double lv[CT__LANES];
                    vstore(lv, r);
                    for (int j = 0; j < CT__LANES; j++)
                        lv[j] = log1p(lv[j]);
                    l = vload(lv);
                }
                /* running sum: prefix sums inside the vector, plus the last bar's level */
                l = vadd(l, vsh1(l));
                l = vadd(l, vsh2(l));
                l = vadd(l, vsh4(l));
                vd y = vadd(l, YC);
                YC = vadd(YC, vb7(l)); /* the same sums as lane 7 of y */
                Y1 = vadd(Y1, y);
                Y2 = vfma(y, y, Y2);
                XY = vfma(vadd(TI0, vset1(8.0 * (double)bk)), y, XY);
                prev = bk;
            }
        }
        if (do_bench && !bl) {
            /* aligned host returns: NaN where the benchmark has no point */
            for (int64_t bk = 0; bk < nblk; bk++) {
                const int64_t bq = a + 8 * bk;
                vd x = vsub(vload(rbuf + 8 * bk), C), b = vload(br + bq - 1);
                vm ok = veq(b, b);
                vd xb = vsel(ok, vsub(b, CB), zero), xr = vsel(ok, x, zero), xd = vsub(xr, xb);
                NB = vadd(NB, vsel(ok, one, zero));
                B1 = vadd(B1, xb);
                B2 = vfma(xb, xb, B2);
                RB = vfma(xr, xb, RB);
                X1 = vadd(X1, xr);
                T1 = vadd(T1, xd);
                T2 = vfma(xd, xd, T2);
                unsigned okb = mbits(ok);
                for (int l = 0; l < CT__LANES; l++)
                    bprod *= (okb >> l & 1u) ? 1.0 + br[bq - 1 + l] : 1.0;
            }
        }
        if (keep_pct && !do_log) { /* the brackets on their own */
            const int64_t nflat = nblk - __builtin_popcountll(moved);
            ZC += 8 * nflat, B5N += flat5 * nflat, B95N += flat95 * nflat;
            for (uint64_t mv = moved; mv; mv &= mv - 1) {
                vd r = vload(rbuf + 8 * __builtin_ctzll(mv));
                CT__PCT_OR_TAIL(r);
            }
        }
        if (keep_pct && tails) {
            /* the chunk's tail returns against the brackets, the last block filled with zeros
             * (between the brackets: they only count below the 95% one) */
            int64_t pad = (8 - (nt & 7)) & 7;
            for (int64_t j = 0; j < pad; j++)
                tbuf[nt + j] = 0.0;
            B95N -= pad;
            for (int64_t j = 0; j < nt + pad; j += 8) {
                vd r = vload(tbuf + j);
                CT__PCT_BLOCK(r);
            }
            nt = 0;
        }
        if (keep_pct) {
            if (n5 > cap || n95 > cap) {
                /* too many inside a bracket: stop keeping (the exact fallback runs instead) */
                b5->overflow = b95->overflow = 1;
                keep_pct = 0;
            }
        }
    }
    if (do_pct) {
        if (keep_pct) {
            b5->nbuf = n5;
            b95->nbuf = n95;
        } else {
            kp->b5 = kp->b95 = NULL;
        }
    }
    if (do_bench && bl) /* every bar of the pass had its benchmark return */
        kp->NB[0] += (double)(bi - from);
    else
        vstore(kp->NB, NB);
    vstore(kp->S1, S1), vstore(kp->S2, S2), vstore(kp->S3, S3), vstore(kp->S4, S4);
    vstore(kp->D2, D2), vstore(kp->NG, NG), vstore(kp->EMIN, EMIN);
    if (do_dd)
        CT__DD_STORE_SUMS(bi);
    vstore(kp->Y1, Y1), vstore(kp->Y2, Y2), vstore(kp->XY, XY);
    vstore(kp->B1, B1), vstore(kp->B2, B2), vstore(kp->RB, RB), vstore(kp->X1, X1);
    vstore(kp->T1, T1), vstore(kp->T2, T2), vstore(kp->B5S, B5S);
    kp->B5N[0] += B5N, kp->B95N[0] += B95N, kp->ZC[0] += ZC, kp->HELD[0] += HELD;
    kp->bprod = bprod;
    {
        double yc[CT__LANES];
        vstore(yc, YC);
        kp->y_prev = yc[0];
    }
    if (do_dd)
        CT__DD_STORE();
    return bi;
#undef CT__PCT_BLOCK
#undef CT__PCT_OR_TAIL
#undef CT__FLAT_RUN
}

/* The pass with the group flags made constant for the two common cases: the core metrics only
 * (the optimizer's headline columns) and every group, each with and without the drawdowns; other
 * combinations test them at run time. */
int64_t CT__PASS_FN(ct__kstate *k, const double *E, const double *bl, const double *br, int64_t n)
{
    const int do_log = !k->skip_log, do_bench = bl != NULL || br != NULL, do_pct = k->b5 != NULL;
    if (!do_log && !do_bench && !do_pct)
        return k->no_dd ? pass_body(k, E, bl, br, n, 0, 0, 0, 0) : pass_body(k, E, bl, br, n, 0, 0, 0, 1);
    if (do_log && do_bench && do_pct)
        return k->no_dd ? pass_body(k, E, bl, br, n, 1, 1, 1, 0) : pass_body(k, E, bl, br, n, 1, 1, 1, 1);
    return pass_body(k, E, bl, br, n, do_log, do_bench, do_pct, !k->no_dd);
}

/* The drawdowns alone over the blocks of bars k->from.. of E[0..n-1], on the same lanes as the
 * pass: the same bits as the pass with them (a helper thread runs this while others do the
 * rest of the pass over segments of the curve). Returns the first bar left to the scalar tail. */
int64_t CT__DD_FN(ct__kstate *kp, const double *E, int64_t n)
{
    const int64_t *tm = kp->tm;
    const double inf = (double)INFINITY;
    double peak = kp->peak, inv_peak = kp->inv_peak, mdd = kp->mdd, U2s = kp->U2, dd_sum = kp->dd_sum;
    double trs = kp->in_dd ? kp->trough : inf;
    vd TRv = vset1(inf);
    CT__DD_LOAD_SUMS(kp->from);
    int64_t peak_i = kp->peak_i, dd_count = kp->dd_count, max_dur = kp->max_dur, max_dur_ms = kp->max_dur_ms;
    int in_dd = kp->in_dd;
    int64_t bi = kp->from;
    for (; bi + 8 <= n; bi += 8) {
        vd e1 = vload(E + bi);
        CT__DD_BLOCK(e1, bi);
    }
    CT__DD_STORE_SUMS(bi);
    CT__DD_STORE();
    return bi;
}

/*
 * Reorder v[0..n-1] as [values < x | values == x | values > x] and return the size of the first
 * part, the second's in *neq; the values equal to x are written back as x (they differ at most in
 * the sign of a zero). The third part goes through tmp (room for n + 8 values). Eight values at a
 * time, without branches on the data: the first part is written in place behind the reads. NaNs
 * compare as none of these and go last. The order inside the parts differs between builds; the
 * callers only select values (exact whatever the order).
 */
int64_t CT__SPLIT_FN(double *v, int64_t n, double x, double *tmp, int64_t *neq)
{
    const vd vx = vset1(x);
    int64_t nf = 0, nb = 0, ne = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        vd r = vload(v + i);
        vm lt = vlt(r, vx), eq = veq(r, vx);
        ne += mcount(eq);
        nb += vkeep(tmp + nb, mnot(mor(lt, eq)), r);
        nf += vkeep(v + nf, lt, r); /* eight slots from v + nf <= v + i: only values already read */
    }
    for (; i < n; i++) {
        double t = v[i];
        int lt = t < x, eq = t == x;
        v[nf] = t;
        tmp[nb] = t;
        nf += lt;
        ne += eq;
        nb += !lt && !eq;
    }
    for (int64_t j = 0; j < ne; j++)
        v[nf + j] = x;
    memcpy(v + nf + ne, tmp, (size_t)nb * sizeof(double));
    *neq = ne;
    return nf;
}

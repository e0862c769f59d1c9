/*
 * The metric pass in portable C: eight lanes as arrays, for any CPU (the compiler vectorizes what
 * it can). The x86-64 builds are picked at run time where the CPU has AVX2 or AVX-512; all builds
 * give bit-identical metrics (see pass.h).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "metrics/pass.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

typedef struct {
    double v[8];
} vd;
typedef struct {
    int64_t v[8];
} vm; /* lanes 1 or 0 */

#define L static inline __attribute__((always_inline))
#define EACH for (int j = 0; j < 8; j++)
L vd vzero(void)
{
    vd r;
    EACH r.v[j] = 0;
    return r;
}
L vd vset1(double x)
{
    vd r;
    EACH r.v[j] = x;
    return r;
}
L vd vload(const double *p)
{
    vd r;
    memcpy(r.v, p, sizeof(r.v));
    return r;
}
L void vstore(double *p, vd v) { memcpy(p, v.v, sizeof(v.v)); }
#define CT__BINOP(name, op)                                                                                            \
    L vd name(vd a, vd b)                                                                                              \
    {                                                                                                                  \
        vd r;                                                                                                          \
        EACH r.v[j] = a.v[j] op b.v[j];                                                                                \
        return r;                                                                                                      \
    }
CT__BINOP(vadd, +)
CT__BINOP(vsub, -)
CT__BINOP(vmul, *)
CT__BINOP(vdiv, /)
#undef CT__BINOP
L vd vfma(vd a, vd b, vd c)
{
    vd r;
    EACH r.v[j] = fma(a.v[j], b.v[j], c.v[j]);
    return r;
}
#define CT__CMP(name, op)                                                                                              \
    L vm name(vd a, vd b)                                                                                              \
    {                                                                                                                  \
        vm r;                                                                                                          \
        EACH r.v[j] = a.v[j] op b.v[j];                                                                                \
        return r;                                                                                                      \
    }
CT__CMP(vlt, <)
CT__CMP(vle, <=)
CT__CMP(veq, ==)
CT__CMP(vne, !=)
#undef CT__CMP
L vd vsel(vm m, vd a, vd b)
{
    vd r;
    EACH r.v[j] = m.v[j] ? a.v[j] : b.v[j];
    return r;
}
L vd vmin(vd a, vd b) { return vsel(vlt(a, b), a, b); }
L vd vabs(vd a)
{
    vd r;
    EACH r.v[j] = fabs(a.v[j]);
    return r;
}
L vm mandn(vm a, vm b)
{
    vm r;
    EACH r.v[j] = a.v[j] & !b.v[j];
    return r;
}
L vm mnot(vm a)
{
    vm r;
    EACH r.v[j] = !a.v[j];
    return r;
}
L vm mor(vm a, vm b)
{
    vm r;
    EACH r.v[j] = a.v[j] | b.v[j];
    return r;
}
L unsigned mbits(vm m)
{
    unsigned b = 0;
    EACH b |= (unsigned)(m.v[j] != 0) << j;
    return b;
}
L int mall(vm m) { return mbits(m) == 0xFF; }
L int many(vm m) { return mbits(m) != 0; }
L int64_t mcount(vm m)
{
    int64_t k = 0;
    EACH k += m.v[j] != 0;
    return k;
}
L vd vshift(vd v, int s)
{
    vd r;
    EACH r.v[j] = j >= s ? v.v[j - s] : 0.0;
    return r;
}
L vd vsh1(vd v) { return vshift(v, 1); }
L vd vsh2(vd v) { return vshift(v, 2); }
L vd vsh4(vd v) { return vshift(v, 4); }
L vd vb7(vd v) { return vset1(v.v[7]); }
L int64_t vkeep(double *dst, vm m, vd v)
{
    int64_t k = 0;
    EACH
    {
        dst[k] = v.v[j];
        k += m.v[j] != 0;
    }
    return k;
}
L vd vlanes(void)
{
    vd r;
    EACH r.v[j] = (double)j;
    return r;
}
#undef EACH
#undef L

#define CT__PASS_FN ct__metrics_pass_generic
#define CT__SPLIT_FN ct__metrics_split_generic
#define CT__DD_FN ct__metrics_dd_generic
#include "metrics/pass_body.h"

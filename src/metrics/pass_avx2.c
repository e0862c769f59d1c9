/*
 * The metric pass for CPUs with AVX2 and FMA: eight lanes as two 256-bit registers. Picked at run
 * time by the kernel; bit-identical to the other builds (see pass.h).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "metrics/pass.h"

#if defined(CT__PASS_X86)

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#pragma STDC FP_CONTRACT OFF
#if __has_warning("-Wpsabi")
#pragma clang diagnostic ignored "-Wpsabi"
#endif
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
/* every helper is inlined into the AVX2 pass, so the note that 32-byte vectors pass differently
 * without AVX does not apply */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
#include <immintrin.h>

typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4i __attribute__((vector_size(32)));
typedef struct {
    v4d lo, hi;
} vd;
typedef struct {
    v4i lo, hi;
} vm;

#define L static inline __attribute__((always_inline))
L vd vzero(void) { return (vd){{0, 0, 0, 0}, {0, 0, 0, 0}}; }
L vd vset1(double x) { return (vd){{x, x, x, x}, {x, x, x, x}}; }
L vd vload(const double *p)
{
    vd v;
    memcpy(&v.lo, p, sizeof(v.lo));
    memcpy(&v.hi, p + 4, sizeof(v.hi));
    return v;
}
L void vstore(double *p, vd v)
{
    memcpy(p, &v.lo, sizeof(v.lo));
    memcpy(p + 4, &v.hi, sizeof(v.hi));
}
L vd vadd(vd a, vd b) { return (vd){a.lo + b.lo, a.hi + b.hi}; }
L vd vsub(vd a, vd b) { return (vd){a.lo - b.lo, a.hi - b.hi}; }
L vd vmul(vd a, vd b) { return (vd){a.lo * b.lo, a.hi * b.hi}; }
L vd vdiv(vd a, vd b) { return (vd){a.lo / b.lo, a.hi / b.hi}; }
L vd vfma(vd a, vd b, vd c)
{
    return (vd){(v4d)_mm256_fmadd_pd((__m256d)a.lo, (__m256d)b.lo, (__m256d)c.lo),
                (v4d)_mm256_fmadd_pd((__m256d)a.hi, (__m256d)b.hi, (__m256d)c.hi)};
}
L vm vlt(vd a, vd b) { return (vm){a.lo < b.lo, a.hi < b.hi}; }
L vm vle(vd a, vd b) { return (vm){a.lo <= b.lo, a.hi <= b.hi}; }
L vm veq(vd a, vd b) { return (vm){a.lo == b.lo, a.hi == b.hi}; }
L vm vne(vd a, vd b) { return (vm){a.lo != b.lo, a.hi != b.hi}; }
L vd vsel(vm m, vd a, vd b)
{
    return (vd){(v4d)(((v4i)a.lo & m.lo) | ((v4i)b.lo & ~m.lo)), (v4d)(((v4i)a.hi & m.hi) | ((v4i)b.hi & ~m.hi))};
}
L vd vmin(vd a, vd b) { return vsel(vlt(a, b), a, b); }
L vd vabs(vd a)
{
    const v4i s = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    return (vd){(v4d)((v4i)a.lo & s), (v4d)((v4i)a.hi & s)};
}
L vm mandn(vm a, vm b) { return (vm){a.lo & ~b.lo, a.hi & ~b.hi}; }
L vm mnot(vm a) { return (vm){~a.lo, ~a.hi}; }
L vm mor(vm a, vm b) { return (vm){a.lo | b.lo, a.hi | b.hi}; }
L unsigned mbits(vm m)
{
    return (unsigned)_mm256_movemask_pd((__m256d)m.lo) | (unsigned)_mm256_movemask_pd((__m256d)m.hi) << 4;
}
L int mall(vm m) { return _mm256_movemask_pd((__m256d)(m.lo & m.hi)) == 0xF; }
L int many(vm m) { return _mm256_movemask_pd((__m256d)(m.lo | m.hi)) != 0; }
L int64_t mcount(vm m) { return __builtin_popcount(mbits(m)); }
L vd vsh1(vd v)
{
    const v4d z = {0, 0, 0, 0};
    return (vd){__builtin_shufflevector(v.lo, z, 4, 0, 1, 2), __builtin_shufflevector(v.lo, v.hi, 3, 4, 5, 6)};
}
L vd vsh2(vd v)
{
    const v4d z = {0, 0, 0, 0};
    return (vd){__builtin_shufflevector(v.lo, z, 4, 5, 0, 1), __builtin_shufflevector(v.lo, v.hi, 2, 3, 4, 5)};
}
L vd vsh4(vd v) { return (vd){{0, 0, 0, 0}, v.lo}; }
L vd vb7(vd v)
{
    v4d t = __builtin_shufflevector(v.hi, v.hi, 3, 3, 3, 3);
    return (vd){t, t};
}
/* the lanes of a four-lane mask (its movemask bits) packed to the front: vpermd indices */
static const int32_t k_pack[16][8] __attribute__((aligned(32))) = {
    {0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7}, {2, 3, 0, 1, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7},
    {4, 5, 0, 1, 2, 3, 6, 7}, {0, 1, 4, 5, 2, 3, 6, 7}, {2, 3, 4, 5, 0, 1, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7},
    {6, 7, 0, 1, 2, 3, 4, 5}, {0, 1, 6, 7, 2, 3, 4, 5}, {2, 3, 6, 7, 0, 1, 4, 5}, {0, 1, 2, 3, 6, 7, 4, 5},
    {4, 5, 6, 7, 0, 1, 2, 3}, {0, 1, 4, 5, 6, 7, 2, 3}, {2, 3, 4, 5, 6, 7, 0, 1}, {0, 1, 2, 3, 4, 5, 6, 7}};
L int64_t vkeep4(double *dst, v4i m, v4d v)
{
    unsigned b = (unsigned)_mm256_movemask_pd((__m256d)m);
    __m256i idx = _mm256_load_si256((const __m256i *)k_pack[b]);
    _mm256_storeu_pd(dst, _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps((__m256d)v), idx)));
    return __builtin_popcount(b);
}
L int64_t vkeep(double *dst, vm m, vd v)
{
    int64_t k = vkeep4(dst, m.lo, v.lo);
    return k + vkeep4(dst + k, m.hi, v.hi);
}
L vd vlanes(void) { return (vd){{0, 1, 2, 3}, {4, 5, 6, 7}}; }
#undef L

#define CT__PASS_FN ct__metrics_pass_avx2
#define CT__SPLIT_FN ct__metrics_split_avx2
#define CT__DD_FN ct__metrics_dd_avx2
#include "metrics/pass_body.h"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif

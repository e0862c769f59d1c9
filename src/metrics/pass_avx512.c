/*
 * The metric pass for CPUs with AVX-512 (F, DQ, VL): one 512-bit register per eight lanes,
 * compare masks in mask registers. Picked at run time by the kernel; bit-identical to the other
 * builds (see pass.h).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "metrics/pass.h"

#if defined(CT__PASS_X86)

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl"))), apply_to = function)
#pragma STDC FP_CONTRACT OFF
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl")
#endif
#include <immintrin.h>

typedef __m512d vd;
typedef __mmask8 vm;

#define L static inline __attribute__((always_inline))
L vd vzero(void) { return _mm512_setzero_pd(); }
L vd vset1(double x) { return _mm512_set1_pd(x); }
L vd vload(const double *p) { return _mm512_loadu_pd(p); }
L void vstore(double *p, vd v) { _mm512_storeu_pd(p, v); }
L vd vadd(vd a, vd b) { return _mm512_add_pd(a, b); }
L vd vsub(vd a, vd b) { return _mm512_sub_pd(a, b); }
L vd vmul(vd a, vd b) { return _mm512_mul_pd(a, b); }
L vd vdiv(vd a, vd b) { return _mm512_div_pd(a, b); }
L vd vfma(vd a, vd b, vd c) { return _mm512_fmadd_pd(a, b, c); }
L vd vmin(vd a, vd b) { return _mm512_min_pd(a, b); } /* a < b ? a : b, as MINPD */
L vd vabs(vd a) { return _mm512_abs_pd(a); }
L vm vlt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
L vm vle(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ); }
L vm veq(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
L vm vne(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_NEQ_UQ); } /* true for NaN, as C's != */
L vm mandn(vm a, vm b) { return (vm)(a & ~b); }
L vm mnot(vm a) { return (vm)~a; }
L vm mor(vm a, vm b) { return (vm)(a | b); }
L int mall(vm m) { return m == 0xFF; }
L int many(vm m) { return m != 0; }
L unsigned mbits(vm m) { return m; }
L vd vsel(vm m, vd a, vd b) { return _mm512_mask_blend_pd(m, b, a); }
L int64_t mcount(vm m) { return __builtin_popcount(m); }
/* lanes moved up by 1, 2, 4 (zeros in): valignq of (v, 0) */
L vd vsh1(vd v) { return _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(v), _mm512_setzero_si512(), 7)); }
L vd vsh2(vd v) { return _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(v), _mm512_setzero_si512(), 6)); }
L vd vsh4(vd v) { return _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(v), _mm512_setzero_si512(), 4)); }
L vd vb7(vd v) { return _mm512_permutexvar_pd(_mm512_set1_epi64(7), v); }
L int64_t vkeep(double *dst, vm m, vd v)
{
    _mm512_storeu_pd(dst, _mm512_maskz_compress_pd(m, v)); /* the register form: fast everywhere */
    return __builtin_popcount(m);
}
L vd vlanes(void) { return _mm512_set_pd(7, 6, 5, 4, 3, 2, 1, 0); }
#undef L

#define CT__PASS_FN ct__metrics_pass_avx512
#define CT__SPLIT_FN ct__metrics_split_avx512
#define CT__DD_FN ct__metrics_dd_avx512
#include "metrics/pass_body.h"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#endif

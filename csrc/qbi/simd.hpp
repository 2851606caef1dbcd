// Run-time choice between the portable build of the hot loops and their AVX2 (and, for some,
// AVX-512) builds.
#pragma once

#if !defined(__GNUC__) && !defined(__clang__)
#error "qbi_fast's kernels use GCC/Clang vector extensions"
#endif

// x86-64: hot loops are compiled for the portable baseline and, in functions marked
// QBI_TARGET_AVX2, for AVX2; use_avx2() says which to call. Loops that gain from vectors twice as
// wide again also have a QBI_TARGET_AVX512 build, chosen by use_avx512(). -ffp-contract=off
// (CMakeLists) keeps all of them free of fused multiply-adds, which would round differently from
// scipy.
#if defined(QBI_AVX2_CLONES) && (defined(__x86_64__) || defined(__i386__))
#define QBI_HAVE_AVX2_PATH 1
#define QBI_TARGET_AVX2 __attribute__((target("avx2")))
// AVX-512 as in x86-64-v4 (F, BW, DQ, VL): byte and word lanes need BW.
#define QBI_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#endif

// Vectors only pass between always-inlined functions, so gcc's ABI note about them is moot.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace qbi {

// A GCC/Clang vector of T filling `Bytes` bytes (16: SSE, 32: AVX2).
template <class T, int Bytes>
struct VecOf {
    typedef T type __attribute__((vector_size(Bytes)));
};

// The widest build the CPU runs, unless QBI_FAST_SIMD caps it: "baseline" asks for the portable
// build, "avx2" for nothing wider than AVX2 (to compare builds, or to rule one out when
// debugging). Read once, at first use.
bool use_avx2();
bool use_avx512();  // implies use_avx2()

// "avx512", "avx2" or "baseline": the widest build chosen.
const char* simd_path();

}  // namespace qbi

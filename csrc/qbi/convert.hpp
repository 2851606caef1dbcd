// Moving samples between typed array memory and double line buffers, converting exactly as
// scipy.ndimage does (every filter there computes in double).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "common.hpp"

namespace qbi {

// scipy stores a double result with a plain C cast (truncation toward zero). For values outside
// the target's range (and NaN) that cast is undefined in C and C++; the x86-64 compilers scipy
// is built with emit cvttsd2si, which gives the "integer indefinite" value (the sign bit alone)
// and the low bits of a 32-bit conversion for 8-, 16- and 32-bit signed targets, of a 64-bit one
// for uint32, and gcc's two-step sequence for uint64. These functions spell those results out
// with defined operations, so the bytes match scipy's (e.g. for derivative filters written to
// unsigned output) whatever an optimiser would make of an undefined cast.
inline std::int32_t truncate_to_i32(double v) {
    return (v >= -2147483648.0 && v < 2147483648.0) ? static_cast<std::int32_t>(v) : INT32_MIN;
}

inline std::int64_t truncate_to_i64(double v) {
    constexpr double limit = 9223372036854775808.0;  // 2^63
    return (v >= -limit && v < limit) ? static_cast<std::int64_t>(v) : INT64_MIN;
}

template <class T>
inline T cast_from_double(double v) {
    if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(v);
    } else if constexpr (sizeof(T) < 4 || std::is_same_v<T, std::int32_t>) {
        return static_cast<T>(static_cast<std::uint32_t>(truncate_to_i32(v)));
    } else if constexpr (std::is_same_v<T, std::uint32_t>) {
        return static_cast<T>(static_cast<std::uint64_t>(truncate_to_i64(v)));
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
        return truncate_to_i64(v);
    } else {  // uint64: gcc converts values from 2^63 up as v - 2^63, then sets the top bit
        constexpr double half = 9223372036854775808.0;
        constexpr std::uint64_t top = std::uint64_t{1} << 63;
        return v >= half ? static_cast<std::uint64_t>(truncate_to_i64(v - half)) ^ top
                         : static_cast<std::uint64_t>(truncate_to_i64(v));
    }
}

// dst[i] = sample i of a strided row; memcpy because numpy arrays need not be aligned. The
// Contiguous flag makes the stride a compile-time constant so the loop vectorises.
template <class T, bool Contiguous>
void load_row_as(const char* src, index_t count, index_t stride, double* dst) {
    const index_t step = Contiguous ? static_cast<index_t>(sizeof(T)) : stride;
    for (index_t i = 0; i < count; ++i) {
        T v;
        std::memcpy(&v, src + i * step, sizeof(T));
        dst[i] = static_cast<double>(v);
    }
}

template <class T, bool Contiguous>
void store_row_as(const double* src, index_t count, char* dst, index_t stride) {
    const index_t step = Contiguous ? static_cast<index_t>(sizeof(T)) : stride;
    for (index_t i = 0; i < count; ++i) {
        const T v = cast_from_double<T>(src[i]);
        std::memcpy(dst + i * step, &v, sizeof(T));
    }
}

inline void load_row(DType dtype, const char* src, index_t count, index_t stride, double* dst) {
    visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        if (stride == static_cast<index_t>(sizeof(T)))
            load_row_as<T, true>(src, count, stride, dst);
        else
            load_row_as<T, false>(src, count, stride, dst);
    });
}

inline void store_row(DType dtype, const double* src, index_t count, char* dst, index_t stride) {
    visit_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        if (stride == static_cast<index_t>(sizeof(T)))
            store_row_as<T, true>(src, count, dst, stride);
        else
            store_row_as<T, false>(src, count, dst, stride);
    });
}

}  // namespace qbi

// Types shared by every qbi kernel: index type, element types, strided array views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qbi {

// Every offset, size and count is a signed pointer-width integer, so volumes beyond 2^31
// elements and negative (reversed) strides need no special case.
using index_t = std::ptrdiff_t;

// Element types the kernels read and write. numpy's bool is one byte holding 0 or 1 and travels
// as U8: scipy reads and writes it through `unsigned char` too.
enum class DType { U8, I8, U16, I16, U32, I32, U64, I64, F32, F64 };

// Whether a T may be read or written at p through a T*: numpy arrays need not be aligned (views
// of byte buffers, fields of packed records), and unaligned ones go through memcpy instead.
template <class T>
inline bool is_aligned(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) % alignof(T) == 0;
}

// Calls f(T{}) with T the C++ type of `dtype`; the single place where a runtime dtype becomes a
// compile-time one.
template <class F>
decltype(auto) visit_dtype(DType dtype, F&& f) {
    switch (dtype) {
        case DType::U8: return f(std::uint8_t{});
        case DType::I8: return f(std::int8_t{});
        case DType::U16: return f(std::uint16_t{});
        case DType::I16: return f(std::int16_t{});
        case DType::U32: return f(std::uint32_t{});
        case DType::I32: return f(std::int32_t{});
        case DType::U64: return f(std::uint64_t{});
        case DType::I64: return f(std::int64_t{});
        case DType::F32: return f(float{});
        case DType::F64: break;
    }
    return f(double{});
}

// An N-d view of memory the caller owns: element type, shape and byte strides.
struct ArrayView {
    char* data = nullptr;
    DType dtype = DType::F64;
    std::vector<index_t> shape;
    std::vector<index_t> strides;  // in bytes, may be negative

    index_t size() const {
        index_t n = 1;
        for (index_t s : shape) n *= s;
        return n;
    }
};

}  // namespace qbi

#if defined(__GNUC__) || defined(__clang__)
#define QBI_ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define QBI_ALWAYS_INLINE __forceinline
#else
#define QBI_ALWAYS_INLINE inline
#endif

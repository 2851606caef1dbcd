// Converting numpy arrays to the kernels' ArrayView; the only place that knows numpy dtypes.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include <vector>

#include "qbi/common.hpp"
#include "qbi/tiles.hpp"

namespace qbi_bindings {

namespace py = pybind11;

inline constexpr const char* kSupportedDtypes =
    "bool, uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64 "
    "(native byte order)";

inline bool qbi_little_endian() {
    const std::uint16_t probe = 1;
    unsigned char first;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

// The kernels' element type for a numpy dtype, or TypeError naming the supported ones.
inline qbi::DType to_dtype(const py::dtype& dt, const char* what) {
    // numpy writes the machine's own order as '=', but a dtype built from an explicit
    // '<' or '>' (zarr does this) keeps that character
    const char order = dt.byteorder();
    const char machine = qbi_little_endian() ? '<' : '>';
    const bool native = order == '=' || order == '|' || order == machine;
    const char kind = dt.kind();
    const auto size = dt.itemsize();
    if (native) {
        if (kind == 'b' && size == 1) return qbi::DType::U8;
        if (kind == 'u' || kind == 'i') {
            const bool u = kind == 'u';
            switch (size) {
                case 1: return u ? qbi::DType::U8 : qbi::DType::I8;
                case 2: return u ? qbi::DType::U16 : qbi::DType::I16;
                case 4: return u ? qbi::DType::U32 : qbi::DType::I32;
                case 8: return u ? qbi::DType::U64 : qbi::DType::I64;
                default: break;
            }
        }
        if (kind == 'f' && size == 4) return qbi::DType::F32;
        if (kind == 'f' && size == 8) return qbi::DType::F64;
    }
    throw py::type_error(std::string(what) + " has dtype " + py::str(dt).cast<std::string>() +
                         "; supported: " + kSupportedDtypes);
}

inline qbi::ArrayView to_view(const py::array& a, const char* what) {
    qbi::ArrayView v;
    v.data = static_cast<char*>(const_cast<void*>(a.data()));
    v.dtype = to_dtype(a.dtype(), what);
    v.shape.assign(a.shape(), a.shape() + a.ndim());
    v.strides.assign(a.strides(), a.strides() + a.ndim());
    return v;
}

// A view of an array the kernel writes: it must be writeable and have the input's shape.
inline qbi::ArrayView to_output_view(const py::array& out, const py::array& in) {
    if (!out.writeable()) throw py::value_error("output array is read-only.");
    if (out.ndim() != in.ndim() ||
        !std::equal(out.shape(), out.shape() + out.ndim(), in.shape()))
        throw py::value_error("output shape must equal input shape");
    return to_view(out, "output");
}

// A footprint (or structuring element) of the input's rank with scipy's origins, checked as
// scipy checks them: every axis at least 1 long and shape / 2 + origin inside it.
inline qbi::Footprint to_footprint(const py::array_t<std::uint8_t, py::array::c_style>& mask,
                                   const std::vector<qbi::index_t>& origins,
                                   const py::array& input, const char* what) {
    const auto ndim = static_cast<std::size_t>(input.ndim());
    if (ndim < 1) throw py::value_error("input must have at least one dimension");
    if (static_cast<std::size_t>(mask.ndim()) != ndim || origins.size() != ndim)
        throw py::value_error(std::string(what) + " and origins must have the input's rank");
    qbi::Footprint fp;
    fp.shape.assign(mask.shape(), mask.shape() + ndim);
    fp.origin = origins;
    fp.mask.assign(mask.data(), mask.data() + mask.size());
    for (std::size_t d = 0; d < ndim; ++d) {
        const qbi::index_t reach = fp.shape[d] / 2 + fp.origin[d];
        if (fp.shape[d] < 1 || reach < 0 || reach >= fp.shape[d])
            throw py::value_error("invalid origin");
    }
    return fp;
}

}  // namespace qbi_bindings

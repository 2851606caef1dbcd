// Bindings of the binary morphology kernels: convert, check, release the GIL, dispatch.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "qbi/minmax.hpp"
#include "qbi/morphology.hpp"

namespace qbi_bindings {

namespace {

bool binary_erosion(const py::array& input, const py::array& output,
                    const py::array_t<std::uint8_t, py::array::c_style>& structure,
                    const std::vector<qbi::index_t>& origins, bool border_value, bool invert,
                    const std::optional<py::array>& mask, int n_threads) {
    const qbi::ArrayView in = to_view(input, "input");
    const qbi::ArrayView out = to_output_view(output, input);
    const qbi::Footprint fp = to_footprint(structure, origins, input, "structure");
    qbi::ArrayView mask_view;
    if (mask) {
        mask_view = to_view(*mask, "mask");
        if (mask->ndim() != input.ndim() ||
            !std::equal(mask->shape(), mask->shape() + mask->ndim(), input.shape()))
            throw py::value_error("mask shape must equal input shape");
    }
    if (n_threads < 1) throw py::value_error("n_threads must be >= 1");
    if (input.size() > 0 && input.data() == output.data())
        throw py::value_error("input and output must not share memory");
    const qbi::ArrayView* mask_ptr = mask ? &mask_view : nullptr;
    py::gil_scoped_release nogil;
    return qbi::binary_erosion(in, out, fp, border_value, invert, mask_ptr, n_threads);
}

bool binary_erosion_separable(const py::array& input, const py::array& output, bool ball,
                              const std::vector<qbi::index_t>& lo,
                              const std::vector<qbi::index_t>& hi,
                              const std::vector<qbi::index_t>& weight, qbi::index_t radius2,
                              bool border_value, bool invert,
                              const std::optional<py::array>& mask, int n_threads) {
    const qbi::ArrayView in = to_view(input, "input");
    const qbi::ArrayView out = to_output_view(output, input);
    if (input.ndim() != 3 || lo.size() != 3 || hi.size() != 3 || weight.size() != 3)
        throw py::value_error("separable erosion takes a 3-d array and 3 values per axis");
    qbi::SeparableStructure st;
    st.ball = ball;
    st.radius2 = radius2;
    for (int d = 0; d < 3; ++d) {
        if (lo[d] > 0 || hi[d] < 0) throw py::value_error("window must contain offset 0");
        st.lo[d] = lo[d];
        st.hi[d] = hi[d];
        st.weight[d] = weight[d];
        if (ball && (weight[d] < 1 || lo[d] != -hi[d] || weight[d] * hi[d] * hi[d] > radius2 ||
                     weight[d] * (hi[d] + 1) * (hi[d] + 1) <= radius2))
            throw py::value_error("ball half-widths must be the largest h with w h^2 <= r2");
    }
    if (ball && (radius2 < 0 || radius2 > 32000))
        throw py::value_error("ball radius2 must be in [0, 32000]");
    qbi::ArrayView mask_view;
    if (mask) {
        mask_view = to_view(*mask, "mask");
        if (mask->ndim() != 3 || !std::equal(mask->shape(), mask->shape() + 3, input.shape()))
            throw py::value_error("mask shape must equal input shape");
    }
    if (n_threads < 1) throw py::value_error("n_threads must be >= 1");
    if (input.size() > 0 && input.data() == output.data())
        throw py::value_error("input and output must not share memory");
    const qbi::ArrayView* mask_ptr = mask ? &mask_view : nullptr;
    py::gil_scoped_release nogil;
    return qbi::binary_erosion_separable(in, out, st, border_value, invert, mask_ptr, n_threads);
}

void min_max_filter(const py::array& input, const py::array& output,
                    const py::array_t<std::uint8_t, py::array::c_style>& footprint,
                    const std::vector<qbi::index_t>& origins,
                    const std::optional<py::array_t<double, py::array::c_style>>& structure,
                    bool minimum, int mode, double cval, bool cval_in_input_type,
                    int n_threads) {
    const qbi::ArrayView in = to_view(input, "input");
    const qbi::ArrayView out = to_output_view(output, input);
    const qbi::Footprint fp = to_footprint(footprint, origins, input, "footprint");
    qbi::index_t elements = 0;
    for (std::uint8_t m : fp.mask) elements += m != 0;
    if (elements == 0) throw py::value_error("footprint has no elements");
    if (structure && structure->size() != elements)
        throw py::value_error("structure needs one value per footprint element");
    if (mode < 0 || mode > static_cast<int>(qbi::Mode::Constant))
        throw py::value_error("mode code " + std::to_string(mode) + " out of range");
    if (n_threads < 1) throw py::value_error("n_threads must be >= 1");
    if (input.size() > 0 && input.data() == output.data())
        throw py::value_error("input and output must not share memory");
    const double* values = structure ? structure->data() : nullptr;
    py::gil_scoped_release nogil;
    qbi::min_max_filter(in, out, fp, values, minimum, static_cast<qbi::Mode>(mode), cval,
                        cval_in_input_type, n_threads);
}

}  // namespace

void bind_morphology(py::module_& m) {
    m.def("binary_erosion", &binary_erosion, py::arg("input").noconvert(),
          py::arg("output").noconvert(), py::arg("structure").noconvert(), py::arg("origins"),
          py::arg("border_value"), py::arg("invert"), py::arg("mask").noconvert(),
          py::arg("n_threads"),
          "One pass of scipy's binary erosion (invert=False) or dilation (invert=True, structure "
          "already reflected): output = mask ? AND of the structure's samples, xor invert : "
          "input != 0. Returns whether any output differs from input != 0.");
    m.def("binary_erosion_separable", &binary_erosion_separable, py::arg("input").noconvert(),
          py::arg("output").noconvert(), py::arg("ball"), py::arg("lo"), py::arg("hi"),
          py::arg("weight"), py::arg("radius2"), py::arg("border_value"), py::arg("invert"),
          py::arg("mask").noconvert(), py::arg("n_threads"),
          "binary_erosion for a 3-d array and a box (offsets lo..hi per axis) or a ball "
          "(sum weight d^2 <= radius2, lo = -hi): axis by axis, cost growing with the window's "
          "half-widths only.");
    m.def("min_max_filter", &min_max_filter, py::arg("input").noconvert(),
          py::arg("output").noconvert(), py::arg("footprint").noconvert(), py::arg("origins"),
          py::arg("structure").noconvert(), py::arg("minimum"), py::arg("mode"), py::arg("cval"),
          py::arg("cval_in_input_type"), py::arg("n_threads"),
          "scipy's minimum or maximum filter over a footprint (uint8, the input's rank): its "
          "n-d kernel (cval_in_input_type, optional structure values, float64, one per "
          "footprint element in C order) or its 1-d line kernel; exact for data without NaN "
          "or zeros of both signs.");
}

}  // namespace qbi_bindings

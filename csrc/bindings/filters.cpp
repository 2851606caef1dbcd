// Bindings of the filter kernels: convert, check, release the GIL, dispatch.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "arrays.hpp"
#include "qbi/correlate1d.hpp"

namespace qbi_bindings {

namespace {

// Returns false, writing nothing, for a kernel that is neither symmetric nor antisymmetric.
bool correlate1d_symmetric(const py::array& input, const py::array& output, int axis,
                           const py::array_t<double, py::array::c_style>& weights, int mode,
                           double cval, int n_threads, py::ssize_t first) {
    const qbi::ArrayView in = to_view(input, "input");
    if (input.ndim() < 1 || axis < 0 || axis >= input.ndim())
        throw py::value_error("axis " + std::to_string(axis) + " out of range for a " +
                              std::to_string(input.ndim()) + "-d array");
    if (!output.writeable()) throw py::value_error("output array is read-only.");
    bool fits = output.ndim() == input.ndim() && first >= 0 &&
                first + output.shape(axis) <= input.shape(axis);
    for (py::ssize_t d = 0; fits && d < input.ndim(); ++d)
        fits = d == axis || output.shape(d) == input.shape(d);
    if (!fits)
        throw py::value_error("output shape must equal input shape, except along axis where "
                              "first + its length must not exceed the input's");
    const qbi::ArrayView out = to_view(output, "output");
    if (weights.ndim() != 1) throw py::value_error("weights must be 1-d");
    if (mode < 0 || mode > static_cast<int>(qbi::Mode::Constant))
        throw py::value_error("mode code " + std::to_string(mode) + " out of range");
    if (n_threads < 1) throw py::value_error("n_threads must be >= 1");
    qbi::Symmetry symmetry;
    if (!qbi::classify_symmetry(weights.data(), weights.shape(0), &symmetry)) return false;
    py::gil_scoped_release nogil;
    qbi::correlate1d_symmetric(in, out, axis, first, weights.data(), weights.shape(0) / 2,
                               symmetry, static_cast<qbi::Mode>(mode), cval, n_threads);
    return true;
}

}  // namespace

void bind_filters(py::module_& m) {
    m.def("correlate1d_symmetric", &correlate1d_symmetric, py::arg("input").noconvert(),
          py::arg("output").noconvert(), py::arg("axis"), py::arg("weights").noconvert(),
          py::arg("mode"), py::arg("cval"), py::arg("n_threads"), py::arg("first") = 0,
          "output = scipy.ndimage.correlate1d(input, weights, axis, mode=mode, cval=cval), in "
          "place if output is input, for a symmetric or antisymmetric kernel (scipy's test); "
          "returns False, writing nothing, for any other kernel. With first, output holds the "
          "slice of that result from first along axis (output may then be input's slice from "
          "first, in place).");
}

}  // namespace qbi_bindings

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
                           double cval, int n_threads) {
    const qbi::ArrayView in = to_view(input, "input");
    const qbi::ArrayView out = to_output_view(output, input);
    if (input.ndim() < 1 || axis < 0 || axis >= input.ndim())
        throw py::value_error("axis " + std::to_string(axis) + " out of range for a " +
                              std::to_string(input.ndim()) + "-d array");
    if (weights.ndim() != 1) throw py::value_error("weights must be 1-d");
    if (mode < 0 || mode > static_cast<int>(qbi::Mode::Constant))
        throw py::value_error("mode code " + std::to_string(mode) + " out of range");
    if (n_threads < 1) throw py::value_error("n_threads must be >= 1");
    qbi::Symmetry symmetry;
    if (!qbi::classify_symmetry(weights.data(), weights.shape(0), &symmetry)) return false;
    py::gil_scoped_release nogil;
    qbi::correlate1d_symmetric(in, out, axis, weights.data(), weights.shape(0) / 2, symmetry,
                               static_cast<qbi::Mode>(mode), cval, n_threads);
    return true;
}

}  // namespace

void bind_filters(py::module_& m) {
    m.def("correlate1d_symmetric", &correlate1d_symmetric, py::arg("input").noconvert(),
          py::arg("output").noconvert(), py::arg("axis"), py::arg("weights").noconvert(),
          py::arg("mode"), py::arg("cval"), py::arg("n_threads"),
          "output = scipy.ndimage.correlate1d(input, weights, axis, mode=mode, cval=cval), in "
          "place if output is input, for a symmetric or antisymmetric kernel (scipy's test); "
          "returns False, writing nothing, for any other kernel.");
}

}  // namespace qbi_bindings

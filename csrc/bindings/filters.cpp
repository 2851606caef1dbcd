// Bindings of the filter kernels: convert, check, release the GIL, dispatch.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "arrays.hpp"
#include "qbi/correlate1d.hpp"

namespace qbi_bindings {

namespace {

// The segments of a line: `input` itself, or the arrays of a list or tuple laid end to end
// along `axis` (same ndim and dtype, equal in every other dimension).
std::vector<qbi::ArrayView> to_segments(const py::object& input, int axis,
                                        py::ssize_t* length) {
    std::vector<py::array> arrays;
    if (py::isinstance<py::array>(input)) {
        arrays.push_back(py::reinterpret_borrow<py::array>(input));
    } else if (py::isinstance<py::list>(input) || py::isinstance<py::tuple>(input)) {
        for (const py::handle item : input) {
            if (!py::isinstance<py::array>(item))
                throw py::type_error("input segments must be numpy arrays");
            arrays.push_back(py::reinterpret_borrow<py::array>(item));
        }
    } else {
        throw py::type_error("input must be a numpy array or a list of them");
    }
    if (arrays.empty()) throw py::value_error("input needs at least one segment");
    const py::array& head = arrays.front();
    if (head.ndim() < 1 || axis < 0 || axis >= head.ndim())
        throw py::value_error("axis " + std::to_string(axis) + " out of range for a " +
                              std::to_string(head.ndim()) + "-d array");
    std::vector<qbi::ArrayView> views;
    *length = 0;
    for (const py::array& a : arrays) {
        views.push_back(to_view(a, "input"));
        bool fits = a.ndim() == head.ndim() && views.back().dtype == views.front().dtype;
        for (py::ssize_t d = 0; fits && d < head.ndim(); ++d)
            fits = d == axis || a.shape(d) == head.shape(d);
        if (!fits)
            throw py::value_error("input segments must share dtype and shape, except along axis");
        *length += a.shape(axis);
    }
    return views;
}

// Returns false, writing nothing, for a kernel that is neither symmetric nor antisymmetric.
bool correlate1d_symmetric(const py::object& input, const py::array& output, int axis,
                           const py::array_t<double, py::array::c_style>& weights, int mode,
                           double cval, int n_threads, py::ssize_t first) {
    py::ssize_t length = 0;
    const std::vector<qbi::ArrayView> ins = to_segments(input, axis, &length);
    if (!output.writeable()) throw py::value_error("output array is read-only.");
    bool fits = output.ndim() == static_cast<py::ssize_t>(ins.front().shape.size()) &&
                first >= 0 && first + output.shape(axis) <= length;
    for (py::ssize_t d = 0; fits && d < output.ndim(); ++d)
        fits = d == axis || output.shape(d) == ins.front().shape[static_cast<std::size_t>(d)];
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
    qbi::correlate1d_symmetric(ins, out, axis, first, weights.data(), weights.shape(0) / 2,
                               symmetry, static_cast<qbi::Mode>(mode), cval, n_threads);
    return true;
}

}  // namespace

void bind_filters(py::module_& m) {
    m.def(
        "is_symmetric",
        [](const py::array_t<double, py::array::c_style>& weights) {
            qbi::Symmetry symmetry;
            return weights.ndim() == 1 &&
                   qbi::classify_symmetry(weights.data(), weights.shape(0), &symmetry);
        },
        py::arg("weights").noconvert(),
        "Whether correlate1d_symmetric runs these weights: symmetric or antisymmetric by "
        "scipy's test.");
    m.def("correlate1d_symmetric", &correlate1d_symmetric, py::arg("input"),
          py::arg("output").noconvert(), py::arg("axis"), py::arg("weights").noconvert(),
          py::arg("mode"), py::arg("cval"), py::arg("n_threads"), py::arg("first") = 0,
          "output = scipy.ndimage.correlate1d(input, weights, axis, mode=mode, cval=cval), in "
          "place if output is input, for a symmetric or antisymmetric kernel (scipy's test); "
          "returns False, writing nothing, for any other kernel. With first, output holds the "
          "slice of that result from first along axis (output may then be input's slice from "
          "first, in place). input may also be a list of arrays, the segments of one input "
          "laid end to end along axis (a block and its halos); output may then be one of them.");
}

}  // namespace qbi_bindings

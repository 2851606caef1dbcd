// Bindings of the labelling kernels: convert, check, release the GIL, dispatch.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <stdexcept>

#include "arrays.hpp"
#include "qbi/label.hpp"
#include "qbi/measure.hpp"

namespace qbi_bindings {

namespace {

py::object label(const py::array& input, const py::array& output,
                 const py::array_t<std::uint8_t, py::array::c_style>& structure, int n_threads,
                 bool first_samples) {
    const qbi::ArrayView in = to_view(input, "input");
    const qbi::ArrayView out = to_output_view(output, input);
    const auto ndim = static_cast<std::size_t>(input.ndim());
    if (ndim < 1) throw py::value_error("input must have at least one dimension");
    if (static_cast<std::size_t>(structure.ndim()) != ndim)
        throw py::value_error("structure must have the input's rank");
    for (std::size_t d = 0; d < ndim; ++d)
        if (structure.shape(d) != 3) throw py::value_error("structure must be 3 long per axis");
    if (n_threads < 1) throw py::value_error("n_threads must be >= 1");
    if (input.size() > 0 && input.data() == output.data())
        throw py::value_error("input and output must not share memory");
    const qbi::Connectivity conn = qbi::connectivity_from_structure(structure.data(), ndim);
    std::vector<qbi::index_t> first;
    qbi::index_t n;
    {
        py::gil_scoped_release nogil;
        n = qbi::label(in, out, conn, n_threads, first_samples ? &first : nullptr);
    }
    if (!first_samples) return py::int_(n);
    return py::make_tuple(n, py::array_t<qbi::index_t>(static_cast<py::ssize_t>(first.size()),
                                                       first.data()));
}

qbi::ArrayView integer_labels(const py::array& labels) {
    qbi::ArrayView view = to_view(labels, "labels");
    if (view.dtype == qbi::DType::F32 || view.dtype == qbi::DType::F64 || labels.ndim() < 1)
        throw py::type_error("labels must be an integer array of at least one dimension");
    return view;
}

py::array_t<qbi::index_t> label_sizes(const py::array& labels, qbi::index_t max_label,
                                      int n_threads) {
    const qbi::ArrayView view = integer_labels(labels);
    if (max_label < 0 || n_threads < 1) throw py::value_error("max_label >= 0, n_threads >= 1");
    std::vector<qbi::index_t> counts;
    {
        py::gil_scoped_release nogil;
        counts = qbi::label_sizes(view, max_label, n_threads);
    }
    return py::array_t<qbi::index_t>(static_cast<py::ssize_t>(counts.size()), counts.data());
}

// scipy.ndimage.find_objects' list: a tuple of slices per label 1 .. max_label, None where the
// label does not occur. Built here because millions of labels took seconds in Python.
py::list find_objects(const py::array& labels, qbi::index_t max_label, int n_threads) {
    const qbi::ArrayView view = integer_labels(labels);
    if (max_label < 0 || n_threads < 1) throw py::value_error("max_label >= 0, n_threads >= 1");
    std::vector<qbi::index_t> boxes;
    {
        py::gil_scoped_release nogil;
        boxes = qbi::label_boxes(view, max_label, n_threads);
    }
    const auto ndim = static_cast<std::size_t>(labels.ndim());
    py::list found(static_cast<std::size_t>(max_label));
    for (std::size_t l = 0; l < static_cast<std::size_t>(max_label); ++l) {
        const qbi::index_t* box = boxes.data() + 2 * ndim * l;
        if (box[0] < 0) {
            found[l] = py::none();
            continue;
        }
        py::tuple slices(ndim);
        for (std::size_t d = 0; d < ndim; ++d) {
            PyObject* start = PyLong_FromSsize_t(box[2 * d]);
            PyObject* stop = start ? PyLong_FromSsize_t(box[2 * d + 1]) : nullptr;
            PyObject* slice = stop ? PySlice_New(start, stop, nullptr) : nullptr;
            Py_XDECREF(start);
            Py_XDECREF(stop);
            if (!slice) throw py::error_already_set();
            PyTuple_SET_ITEM(slices.ptr(), static_cast<py::ssize_t>(d), slice);
        }
        found[l] = std::move(slices);
    }
    return found;
}

}  // namespace

void bind_label(py::module_& m) {
    m.def("label", &label, py::arg("input").noconvert(), py::arg("output").noconvert(),
          py::arg("structure").noconvert(), py::arg("n_threads"),
          py::arg("first_samples") = false,
          "Labels input != 0 into output as scipy.ndimage.label numbers it (structure: uint8, "
          "3 per axis, symmetric); returns the number of components n, or with first_samples "
          "(n, int64 C-order flat index of each component's first sample).");
    m.def("label_sizes", &label_sizes, py::arg("labels").noconvert(), py::arg("max_label"),
          py::arg("n_threads"), "Samples per label value 0 .. max_label (int64).");
    m.def("find_objects", &find_objects, py::arg("labels").noconvert(), py::arg("max_label"),
          py::arg("n_threads"),
          "scipy.ndimage.find_objects' list for labels 1 .. max_label: a tuple of slices per "
          "label, None where it does not occur.");
}

}  // namespace qbi_bindings

// Bindings of the tomography kernels: check, release the GIL, dispatch on float / double.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "qbi/running_median.hpp"
#include "qbi/sort_columns.hpp"

namespace qbi_bindings {

namespace py = pybind11;

namespace {

// A 2-d array of dtype `dtype` (and of `like`'s shape, if given) whose rows are contiguous; C
// contiguity as a whole only if `whole`. Returns the distance between its rows, in elements.
qbi::index_t check_matrix(const py::array& a, const char* what, const py::dtype& dtype,
                          const py::array* like, bool writeable, bool whole = true) {
    if (a.ndim() != 2) throw py::value_error(std::string(what) + " must be 2-d");
    if (!a.dtype().is(dtype))
        throw py::type_error(std::string(what) + " has dtype " +
                             py::str(a.dtype()).cast<std::string>() + "; expected " +
                             py::str(dtype).cast<std::string>());
    const auto item = static_cast<py::ssize_t>(a.itemsize());
    const bool rows_contiguous = a.shape(1) <= 1 || a.strides(1) == item;
    const bool rows_apart = a.shape(0) <= 1 || (a.strides(0) % item == 0 &&
                                               a.strides(0) >= a.shape(1) * item);
    if (whole ? !(a.flags() & py::array::c_style) : !(rows_contiguous && rows_apart))
        throw py::value_error(std::string(what) + (whole ? " must be C-contiguous"
                                                         : " must have contiguous rows"));
    if (like && (a.shape(0) != like->shape(0) || a.shape(1) != like->shape(1)))
        throw py::value_error(std::string(what) + " must have the input's shape");
    if (writeable && !a.writeable()) throw py::value_error(std::string(what) + " is read-only");
    return a.shape(0) <= 1 ? a.shape(1) : a.strides(0) / item;
}

// Calls f(T{}) for a float32 or float64 array, TypeError otherwise.
template <class F>
auto visit_float(const py::array& a, F&& f) {
    if (a.dtype().is(py::dtype::of<float>())) return f(float{});
    if (a.dtype().is(py::dtype::of<double>())) return f(double{});
    throw py::type_error("expected float32 or float64 data; got " +
                         py::str(a.dtype()).cast<std::string>());
}

bool sort_columns(const py::array& input, const py::array& sorted, const py::array& row_of,
                  int n_threads) {
    if (n_threads < 1) throw py::value_error("n_threads must be >= 1");
    return visit_float(input, [&](auto zero) {
        using T = decltype(zero);
        const qbi::index_t in_stride =
            check_matrix(input, "input", py::dtype::of<T>(), nullptr, false, false);
        check_matrix(sorted, "sorted", py::dtype::of<T>(), &input, true);
        check_matrix(row_of, "row_of", py::dtype::of<std::int32_t>(), &input, true);
        py::gil_scoped_release nogil;
        return qbi::sort_columns(static_cast<const T*>(input.data()), in_stride,
                                 static_cast<T*>(const_cast<void*>(sorted.data())),
                                 static_cast<std::int32_t*>(const_cast<void*>(row_of.data())),
                                 input.shape(0), input.shape(1), n_threads);
    });
}

void unsort_columns(const py::array& values, const py::array& row_of, const py::array& output,
                    int n_threads) {
    if (n_threads < 1) throw py::value_error("n_threads must be >= 1");
    visit_float(values, [&](auto zero) {
        using T = decltype(zero);
        check_matrix(values, "values", py::dtype::of<T>(), nullptr, false);
        check_matrix(row_of, "row_of", py::dtype::of<std::int32_t>(), &values, false);
        const qbi::index_t out_stride =
            check_matrix(output, "output", py::dtype::of<T>(), &values, true, false);
        const auto bytes = [](const py::array& a) {
            const char* p = static_cast<const char*>(a.data());
            // the span from the first to one past the last element, gaps included
            const auto span = a.size() == 0 ? 0 : (a.shape(0) - 1) * a.strides(0) +
                                                      a.shape(1) * a.itemsize();
            return std::make_pair(p, p + span);
        };
        const auto [o0, o1] = bytes(output);
        for (const py::array* a : {&values, &row_of}) {
            const auto [a0, a1] = bytes(*a);
            if (output.size() > 0 && o0 < a1 && a0 < o1)
                throw py::value_error("output must not share memory with values or row_of");
        }
        py::gil_scoped_release nogil;
        qbi::unsort_columns(static_cast<const T*>(values.data()),
                            static_cast<const std::int32_t*>(row_of.data()),
                            static_cast<T*>(const_cast<void*>(output.data())), out_stride,
                            values.shape(0), values.shape(1), n_threads);
    });
}

void median_along_rows(const py::array& input, const py::array& output, qbi::index_t size,
                       int mode, int n_threads) {
    if (n_threads < 1) throw py::value_error("n_threads must be >= 1");
    if (size < 1) throw py::value_error("size must be >= 1");
    if (mode < 0 || mode >= static_cast<int>(qbi::Mode::Constant))
        throw py::value_error("mode code " + std::to_string(mode) + " out of range");
    visit_float(input, [&](auto zero) {
        using T = decltype(zero);
        check_matrix(input, "input", py::dtype::of<T>(), nullptr, false);
        check_matrix(output, "output", py::dtype::of<T>(), &input, true);
        py::gil_scoped_release nogil;
        qbi::median_along_rows(static_cast<const T*>(input.data()),
                               static_cast<T*>(const_cast<void*>(output.data())), input.shape(0),
                               input.shape(1), size, static_cast<qbi::Mode>(mode), T{0},
                               n_threads);
    });
}

}  // namespace

void bind_tomo(py::module_& m) {
    m.def("sort_columns", &sort_columns, py::arg("input").noconvert(),
          py::arg("sorted").noconvert(), py::arg("row_of").noconvert(), py::arg("n_threads"),
          "Sort every column of a float32/float64 matrix with contiguous rows (stable): "
          "sorted[r, c] (C-contiguous) is the r-th smallest of column c, row_of[r, c] (int32) its "
          "row in input. Returns False if input holds NaN or inf.");
    m.def("unsort_columns", &unsort_columns, py::arg("values").noconvert(),
          py::arg("row_of").noconvert(), py::arg("output").noconvert(), py::arg("n_threads"),
          "output[row_of[r, c], c] = values[r, c]: undoes sort_columns (output: contiguous "
          "rows).");
    m.def("median_along_rows", &median_along_rows, py::arg("input").noconvert(),
          py::arg("output").noconvert(), py::arg("size"), py::arg("mode"), py::arg("n_threads"),
          "output = scipy.ndimage.median_filter(input, size=(1, size), mode=mode) for a "
          "C-contiguous float32/float64 matrix without NaN (mode code: nearest, wrap, reflect "
          "or mirror); output may be input itself.");
}

}  // namespace qbi_bindings

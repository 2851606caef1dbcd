// Bindings of the rank-filter kernels: convert, check, release the GIL, dispatch.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "arrays.hpp"
#include "qbi/rank.hpp"

namespace qbi_bindings {

namespace {

void rank_filter(const py::array& input, const py::array& output,
                 const py::array_t<std::uint8_t, py::array::c_style>& footprint,
                 const std::vector<qbi::index_t>& origins, qbi::index_t rank, int mode,
                 double cval, bool exact_select, bool same_store, int n_threads) {
    const qbi::ArrayView in = to_view(input, "input");
    const qbi::ArrayView out = to_output_view(output, input);
    const qbi::Footprint fp = to_footprint(footprint, origins, input, "footprint");
    qbi::index_t elements = 0;
    for (std::uint8_t m : fp.mask) elements += m != 0;
    if (rank < 0 || rank >= elements) throw py::value_error("rank outside the footprint");
    if (mode < 0 || mode > static_cast<int>(qbi::Mode::Constant))
        throw py::value_error("mode code " + std::to_string(mode) + " out of range");
    if (same_store && out.dtype != in.dtype)
        throw py::value_error("same_store needs output of the input's dtype");
    if (n_threads < 1) throw py::value_error("n_threads must be >= 1");
    if (input.data() == output.data() && input.size() > 0)
        throw py::value_error("input and output must not share memory");
    const auto method = exact_select ? qbi::RankMethod::Select : qbi::RankMethod::Sliding;
    const auto store = same_store ? qbi::RankStore::Same : qbi::RankStore::ViaDouble;
    py::gil_scoped_release nogil;
    qbi::rank_filter(in, out, fp, rank, static_cast<qbi::Mode>(mode), cval, method, store,
                     n_threads);
}

py::tuple special_values(const py::array& input) {
    const qbi::ArrayView in = to_view(input, "input");
    qbi::SpecialValues found;
    {
        py::gil_scoped_release nogil;
        found = qbi::find_special_values(in);
    }
    return py::make_tuple(found.nan, found.negative_zero, found.positive_zero);
}

}  // namespace

void bind_rank(py::module_& m) {
    m.def("special_values", &special_values, py::arg("input").noconvert(),
          "(has NaN, has -0.0, has +0.0) for a float array; all False for integer arrays.");
    m.def("rank_filter", &rank_filter, py::arg("input").noconvert(),
          py::arg("output").noconvert(), py::arg("footprint").noconvert(), py::arg("origins"),
          py::arg("rank"), py::arg("mode"), py::arg("cval"), py::arg("exact_select"),
          py::arg("same_store"), py::arg("n_threads"),
          "output = scipy.ndimage.rank_filter(input, rank, footprint=footprint, mode=mode, "
          "cval=cval, origin=origins) (footprint: uint8, the input's rank). exact_select runs "
          "scipy's own selection (bits identical even for NaN and -0.0); otherwise sliding "
          "histograms, identical for data without NaN or -0.0. same_store keeps the selected "
          "value's type (scipy's 1-d path) instead of passing it through a double.");
}

}  // namespace qbi_bindings

// The extension module qbi_fast._core: build facts and the per-family bindings.
#include <pybind11/pybind11.h>

#include <string>

#include "qbi/simd.hpp"
#include "qbi/omp.hpp"

#if defined(_OPENMP) && defined(__unix__)
#include <dlfcn.h>
#include <pthread.h>
#endif

namespace py = pybind11;

namespace qbi_bindings {
void bind_filters(py::module_& m);
void bind_rank(py::module_& m);
void bind_morphology(py::module_& m);
void bind_label(py::module_& m);
void bind_tomo(py::module_& m);
}

namespace {

std::string compiler() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("gcc ") + __VERSION__;
#elif defined(_MSC_VER)
    return "msvc " + std::to_string(_MSC_VER);
#else
    return "unknown";
#endif
}

// The shared library that provides the OpenMP runtime this module is linked to.
std::string openmp_library() {
#if defined(_OPENMP) && defined(__unix__)
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&omp_get_max_threads), &info) && info.dli_fname)
        return info.dli_fname;
    return "unknown";
#elif defined(_OPENMP)
    return "unknown";
#else
    return "none";
#endif
}

py::dict build_info() {
    py::dict info;
    info["compiler"] = compiler();
    info["baseline_arch"] = QBI_BASELINE_ARCH;
    info["simd_path"] = qbi::simd_path();
#ifdef _OPENMP
    info["openmp_version"] = _OPENMP;
#else
    info["openmp_version"] = py::none();
#endif
    info["openmp_library"] = openmp_library();
    return info;
}

}  // namespace

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
    m.doc() = "qbi_fast compiled kernels (private; use qbi_fast.ndimage)";
#if defined(_OPENMP) && defined(__unix__)
    pthread_atfork(nullptr, nullptr, qbi::mark_forked_child);
#endif
    m.def("omp_max_threads", &qbi::omp_max_threads,
          "omp_get_max_threads() as seen by the calling thread (1 without OpenMP)");
    m.def("openmp_enabled", &qbi::openmp_enabled);
    m.def("build_info", &build_info);
    qbi_bindings::bind_filters(m);
    qbi_bindings::bind_rank(m);
    qbi_bindings::bind_morphology(m);
    qbi_bindings::bind_label(m);
    qbi_bindings::bind_tomo(m);
}

#include "simd.hpp"

#include <cstdlib>
#include <cstring>

namespace qbi {

bool use_avx2() {
#ifdef QBI_HAVE_AVX2_PATH
    static const bool avx2 = [] {
        const char* choice = std::getenv("QBI_FAST_SIMD");
        const bool forced_baseline = choice && std::strcmp(choice, "baseline") == 0;
        return !forced_baseline && __builtin_cpu_supports("avx2");
    }();
    return avx2;
#else
    return false;
#endif
}

const char* simd_path() { return use_avx2() ? "avx2" : "baseline"; }

}  // namespace qbi

#include "simd.hpp"

#include <cstdlib>
#include <cstring>

namespace qbi {
namespace {

enum class Level { Baseline, Avx2, Avx512 };

Level chosen_level() {
#ifdef QBI_HAVE_AVX2_PATH
    static const Level level = [] {
        const char* choice = std::getenv("QBI_FAST_SIMD");
        const bool cap_baseline = choice && std::strcmp(choice, "baseline") == 0;
        const bool cap_avx2 = choice && std::strcmp(choice, "avx2") == 0;
        if (cap_baseline || !__builtin_cpu_supports("avx2")) return Level::Baseline;
        const bool avx512 =
            __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
        if (cap_avx2 || !avx512) return Level::Avx2;
        return Level::Avx512;
    }();
    return level;
#else
    return Level::Baseline;
#endif
}

}  // namespace

bool use_avx2() { return chosen_level() != Level::Baseline; }

bool use_avx512() { return chosen_level() == Level::Avx512; }

const char* simd_path() {
    switch (chosen_level()) {
        case Level::Avx512: return "avx512";
        case Level::Avx2: return "avx2";
        default: return "baseline";
    }
}

}  // namespace qbi

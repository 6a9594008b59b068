// Coverage glue that lets libFuzzer (LLVM compiler-rt 14, Debian's libclang-rt-14-dev) drive code
// built by g++ 12, the compiler sqlguard is built and shipped with.
//
// Why: sqlguard is C++23 and uses std::expected; libstdc++ 12 only offers it to compilers with
// P0848 (conditionally trivial special members), which clang 14 lacks, so clang 14's
// -fsanitize=fuzzer cannot compile the project. g++ instruments with
// -fsanitize-coverage=trace-pc,trace-cmp: trace-cmp callbacks go straight to libFuzzer (value
// profile, comparison operands for mutations); trace-pc is no longer supported by libFuzzer 14,
// so this file defines __sanitizer_cov_trace_pc (libFuzzer's own definition is weakened with
// objcopy in tests/fuzz/CMakeLists.txt) and maps each call site's return address onto a table
// of inline 8-bit counters registered the way clang's -fsanitize-coverage=inline-8bit-counters
// registers them. Distinct edges may share a counter (hashing); that only costs guidance.
#include <cstddef>
#include <cstdint>

extern "C" void __sanitizer_cov_8bit_counters_init(uint8_t* start, uint8_t* stop);
extern "C" void __sanitizer_cov_pcs_init(const uintptr_t* pcs_begin, const uintptr_t* pcs_end);

namespace {
constexpr std::size_t kSlots = std::size_t{1} << 18;
alignas(64) uint8_t g_counters[kSlots];
// (pc, flags) pairs, one per counter, as libFuzzer expects; flags 0 = not a function entry.
uintptr_t g_pcs[2 * kSlots];
}  // namespace

extern "C" __attribute__((no_sanitize_coverage, no_sanitize_address, no_sanitize_undefined)) void
__sanitizer_cov_trace_pc() {
  const auto pc = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  g_counters[(pc ^ (pc >> 18)) & (kSlots - 1)]++;
}

// g++ also emits floating-point comparisons, which libFuzzer has no hooks for.
extern "C" __attribute__((no_sanitize_coverage)) void __sanitizer_cov_trace_cmpf(float, float) {}
extern "C" __attribute__((no_sanitize_coverage)) void __sanitizer_cov_trace_cmpd(double, double) {}

__attribute__((constructor, no_sanitize_coverage)) static void register_counters() {
  for (std::size_t i = 0; i < kSlots; ++i) g_pcs[2 * i] = i + 1;
  __sanitizer_cov_8bit_counters_init(g_counters, g_counters + kSlots);
  __sanitizer_cov_pcs_init(g_pcs, g_pcs + 2 * kSlots);
}

// Relative error of DDSketch quantiles (alpha = 1%) over 1,000,000 samples
// of a log-normal distribution (mu = 3, sigma = 1.5: median 20, p99 660,
// heavy right tail), against the exact value of the same rank (the lower
// of q * (n - 1)), as a Markdown table for docs/PERFORMANCE.md.
//
//   ninja -C build sketch_accuracy && build/bench/sketch_accuracy [seed]

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "ingest/ddsketch.h"

int main(int argc, char** argv) {
  const unsigned seed = argc > 1 ? static_cast<unsigned>(std::strtoul(argv[1], nullptr, 10)) : 42;
  constexpr size_t kSamples = 1'000'000;
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(3, 1.5);
  std::vector<double> values(kSamples);
  perfwatch::DDSketch sketch(0.01);
  for (double& v : values) {
    v = dist(rng);
    sketch.Add(v);
  }
  std::sort(values.begin(), values.end());
  std::printf("%zu log-normal samples (mu=3, sigma=1.5, seed %u), DDSketch alpha=0.01, %d bins\n\n",
              kSamples, seed, sketch.bin_count());
  std::printf("| quantile | exact | sketch | relative error |\n|---|---:|---:|---:|\n");
  double worst = 0;
  for (double q : {0.5, 0.9, 0.95, 0.99, 0.999}) {
    const double exact = values[static_cast<size_t>(std::floor(q * (kSamples - 1)))];
    const double estimate = sketch.Quantile(q);
    const double error = std::fabs(estimate - exact) / exact;
    worst = std::max(worst, error);
    std::printf("| p%g | %.4f | %.4f | %.4f%% |\n", q * 100, exact, estimate, error * 100);
  }
  std::printf("\nworst: %.4f%% (bound 1%%)\n", worst * 100);
  return worst <= 0.01 + 1e-12 ? 0 : 1;
}

// A genetic algorithm (OneMax: evolve bit strings towards all ones) that
// reports its progress through include/perfwatch/client.hpp, the way an
// optimiser would under `perfwatch run` (docs/RUNS.md):
//
//   ga.generations     counter, +1 per generation      "ga.generations:1|c"
//   ga.best_fitness    gauge, per generation, 0..1     "ga.best_fitness:0.83|g"
//   ga.mean_fitness    gauge, per generation
//   component.duration timer tagged component:evaluate / component:breed
//
//   perfwatch run --name onemax -- ga_demo --generations 100 --genes 4096
//
// Options: --generations N (60), --population N (100), --genes N (2048),
// --mutation P (1/genes), --seed N (1), --exit-code N (0: what to exit with,
// for trying failure handling). The best fitness is printed at the end.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <perfwatch/client.hpp>
#include <random>
#include <string>
#include <vector>

namespace {

struct Settings {
  int generations = 60;
  int population = 100;
  int genes = 2048;
  double mutation = -1;  // < 0: 1 / genes
  unsigned seed = 1;
  int exit_code = 0;
};

bool ParseArgs(int argc, char** argv, Settings& s) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "ga_demo: %s needs a value\n", arg.c_str());
      return false;
    }
    const char* v = argv[++i];
    if (arg == "--generations") {
      s.generations = std::atoi(v);
    } else if (arg == "--population") {
      s.population = std::atoi(v);
    } else if (arg == "--genes") {
      s.genes = std::atoi(v);
    } else if (arg == "--mutation") {
      s.mutation = std::atof(v);
    } else if (arg == "--seed") {
      s.seed = static_cast<unsigned>(std::atoi(v));
    } else if (arg == "--exit-code") {
      s.exit_code = std::atoi(v);
    } else {
      std::fprintf(stderr, "ga_demo: unknown option %s\n", arg.c_str());
      return false;
    }
  }
  if (s.generations < 1 || s.population < 2 || s.genes < 1) {
    std::fprintf(stderr, "ga_demo: --generations, --population and --genes must be positive\n");
    return false;
  }
  if (s.mutation < 0) s.mutation = 1.0 / s.genes;
  return true;
}

using Genome = std::vector<uint8_t>;

double Fitness(const Genome& g) {
  return static_cast<double>(std::count(g.begin(), g.end(), 1)) / static_cast<double>(g.size());
}

// Tournament of two: the fitter of two random members.
const Genome& Pick(const std::vector<Genome>& pop, const std::vector<double>& fit,
                   std::mt19937& rng) {
  std::uniform_int_distribution<size_t> any(0, pop.size() - 1);
  const size_t a = any(rng), b = any(rng);
  return fit[a] >= fit[b] ? pop[a] : pop[b];
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  if (!ParseArgs(argc, argv, s)) return 2;
  // Flushed once per generation below, so every generation's gauges are
  // sent (the background flush alone would send the latest value each second).
  perfwatch::ClientOptions options = perfwatch::ClientOptions::FromEnvironment();
  options.flush_interval = std::chrono::hours(1);
  perfwatch::Client pw(options);
  perfwatch::Counter& generations = pw.GetCounter("ga.generations");
  perfwatch::Gauge& best_gauge = pw.GetGauge("ga.best_fitness");
  perfwatch::Gauge& mean_gauge = pw.GetGauge("ga.mean_fitness");

  std::mt19937 rng(s.seed);
  std::bernoulli_distribution coin(0.5), mutate(s.mutation);
  std::vector<Genome> pop(s.population, Genome(s.genes));
  for (Genome& g : pop) {
    for (uint8_t& bit : g) bit = coin(rng);
  }
  std::vector<double> fit(pop.size());
  double best = 0;
  for (int gen = 0; gen < s.generations; ++gen) {
    {
      auto timer = pw.Time("evaluate");
      for (size_t i = 0; i < pop.size(); ++i) fit[i] = Fitness(pop[i]);
    }
    best = *std::max_element(fit.begin(), fit.end());
    double mean = 0;
    for (double f : fit) mean += f;
    mean /= static_cast<double>(fit.size());
    {
      auto timer = pw.Time("breed");
      std::vector<Genome> next;
      next.reserve(pop.size());
      // Elitism: the best survives unchanged, so best fitness never drops.
      next.push_back(pop[std::max_element(fit.begin(), fit.end()) - fit.begin()]);
      while (next.size() < pop.size()) {
        const Genome& a = Pick(pop, fit, rng);
        const Genome& b = Pick(pop, fit, rng);
        Genome child(s.genes);
        for (int i = 0; i < s.genes; ++i) {
          child[i] = (coin(rng) ? a[i] : b[i]) ^ static_cast<uint8_t>(mutate(rng));
        }
        next.push_back(std::move(child));
      }
      pop.swap(next);
    }
    generations.Increment();
    best_gauge.Set(best);
    mean_gauge.Set(mean);
    pw.Flush();
  }
  std::printf("best fitness %.4f after %d generations\n", best, s.generations);
  return s.exit_code;
}

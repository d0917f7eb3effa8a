// A command for the runs tests to record: takes memory, burns CPU, sleeps,
// prints its environment, exits or dies as told. Options, in this order of
// effect:
//   --print-env          print PERFWATCH_* and STATSD_* variables to stdout
//   --mb N               allocate and touch N MiB (held until exit)
//   --cpu-ms N           burn N ms of CPU time (process CPU clock, not wall)
//   --sleep-ms N         sleep N ms (in 10 ms steps)
//   --signal N           raise signal N
//   --exit N             exit with N (default 0)

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  long mb = 0, cpu_ms = 0, sleep_ms = 0, sig = 0, code = 0;
  bool print_env = false;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "--print-env") == 0) {
      print_env = true;
      continue;
    }
    if (i + 1 >= argc) return 100;
    const long v = std::atol(argv[++i]);
    if (std::strcmp(a, "--mb") == 0)
      mb = v;
    else if (std::strcmp(a, "--cpu-ms") == 0)
      cpu_ms = v;
    else if (std::strcmp(a, "--sleep-ms") == 0)
      sleep_ms = v;
    else if (std::strcmp(a, "--signal") == 0)
      sig = v;
    else if (std::strcmp(a, "--exit") == 0)
      code = v;
    else
      return 100;
  }
  if (print_env) {
    for (const char* name : {"PERFWATCH_STATSD", "STATSD_HOST", "STATSD_PORT", "PERFWATCH_RUN_ID",
                             "PERFWATCH_RUN_NAME", "PERFWATCH_APP"}) {
      const char* v = std::getenv(name);
      std::printf("%s=%s\n", name, v ? v : "(unset)");
    }
    std::fflush(stdout);
  }
  std::vector<char> ballast(static_cast<size_t>(mb) << 20);
  for (size_t i = 0; i < ballast.size(); i += 4096) ballast[i] = 1;
  volatile double sink = 0;
  const double until = CpuMs() + static_cast<double>(cpu_ms);
  while (CpuMs() < until) {
    for (int i = 0; i < 10000; ++i) sink = sink + i * 0.5;
  }
  for (long slept = 0; slept < sleep_ms; slept += 10) usleep(10000);
  if (sig != 0) raise(static_cast<int>(sig));
  return static_cast<int>(code) + (ballast.empty() ? 0 : ballast[0] - 1);
}

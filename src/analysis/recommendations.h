#pragma once
// What to do about each kind of bottleneck (private to analysis/): concrete
// steps, most useful first, each with a priority and an effort (seed 003).
// Immutable tables; thread-safe.

#include <set>
#include <string>
#include <vector>

#include "analysis/bottlenecks.h"

namespace perfwatch::recommendations {

const std::vector<Recommendation>& Cpu();
const std::vector<Recommendation>& Memory();
const std::vector<Recommendation>& Swap();
const std::vector<Recommendation>& Io();
const std::vector<Recommendation>& Network();
const std::vector<Recommendation>& Fds();
// For stalls on the given resources ("cpu", "memory", "io").
std::vector<Recommendation> Pressure(const std::set<std::string>& resources);

}  // namespace perfwatch::recommendations

#pragma once
// `perfwatch report`: the period's summary (averages, p95, maxima), its
// alerts, and the bottlenecks and trends now, as text or JSON. Reads
// --data-dir directly; while a perfwatch serves that directory (it holds
// the store's lock), asks that perfwatch over HTTP instead.

#include "config/cli.h"

namespace perfwatch {

// Exit status: 0 written, 1 failed (the reason on stderr).
int RunReport(const Config& config, const ReportCommand& command);

}  // namespace perfwatch

#pragma once
// `perfwatch report`: the period's summary (averages, p95, maxima), its
// alerts, the bottlenecks and trends now, applications and components, as
// text, JSON or one self-contained HTML file. Reads
// --data-dir directly; while a perfwatch serves that directory (it holds
// the store's lock), asks that perfwatch over HTTP instead.

#include "config/cli.h"

namespace perfwatch {

// Exit status: 0 written, 1 failed (the reason on stderr).
int RunReport(const Config& config, const ReportCommand& command);

}  // namespace perfwatch

#pragma once
// `perfwatch import` and `perfwatch export`: history in and out of a data
// directory as OpenMetrics, CSV or JSON files (formats in interchange/).
// Each returns the process exit code and prints its own messages.

#include "config/cli.h"
#include "config/config.h"

namespace perfwatch {

// Validates the whole file first (when it is a file, not standard input),
// so a bad line refuses the import before anything is written; then
// backfills it through store/backfill.h.
int RunImport(const Config& config, const ImportCommand& command);

// Streams the selected series out through interchange/history_export.h (the
// walk GET /api/v1/export uses too), so memory stays bounded whatever the
// range.
int RunExport(const Config& config, const ExportCommand& command);

}  // namespace perfwatch

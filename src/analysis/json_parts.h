#pragma once
// JSON values of analysis/'s reports, shared by the renderers in this folder
// (private to analysis/). Pure functions; thread-safe.

#include <nlohmann/json.hpp>

#include "analysis/analysis.h"
#include "analysis/status_class.h"

namespace perfwatch::analysis_json {

nlohmann::json Status(const StatusReport& report);      // status_class.cpp
nlohmann::json Analysis(const AnalysisReport& report);  // analysis.cpp

}  // namespace perfwatch::analysis_json

#pragma once
// The inline style sheet of the HTML report (private to analysis/): system
// fonts, light and dark by prefers-color-scheme, one column on a phone,
// print-friendly; the status badge colours are seed 000's
// (StatusColorHex). Pure; thread-safe.

#include <string>

namespace perfwatch {

std::string ReportStyle();

}  // namespace perfwatch

#pragma once
// Annotation templates as Prometheus alerting rules write them: the subset
// of Go's text/template that annotations use in practice.
//
//   {{ $value }}  {{ .Value }}  {{ $labels.name }}  {{ .Labels.name }}
//   {{ humanize $value }}  {{ $value | humanize }}
//   {{ printf "%.1f" $value }}  {{ $value | printf "%.2f" }}
//   functions: humanize humanize1024 humanizePercentage humanizeDuration
//              printf toUpper toLower title
//   {{- trims the whitespace before, -}} after; {{/* comments */}}
//
// Values print as Go prints them (Prometheus's templates are Go's): a float
// is its shortest round-trip decimal (AppendPrometheusFloat's digits), in
// exponent form from 1e+06 up and below 1e-4 as Go's %v writes it
// ("1.234567e+06"), NaN, +Inf, -Inf. A missing label expands to "".
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "model/labels.h"
#include "model/status.h"

namespace perfwatch {

// Ok, or InvalidArgument naming the column (and line, past the first) and
// what is wrong: an unclosed "{{", an unknown function or variable, a
// malformed string.
Status CheckTemplate(std::string_view text);

// Expands `text` for an alert with `labels` whose expression returned
// `value`. A template that does not check, or fails while expanding (humanize
// of a non-number), expands to "<error expanding template: ...>" as
// Prometheus does, so one bad annotation never stops an alert.
std::string ExpandTemplate(std::string_view text, const Labels& labels, double value);

// A float as Go's fmt %v (and so Prometheus's templates) prints it.
std::string FormatGoFloat(double value);

}  // namespace perfwatch

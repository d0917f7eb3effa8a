#pragma once
// Text pieces shared by the bench exports (private to bench/): HTML
// escaping, numbers as hyperfine prints them, and human units for times,
// bytes and rates. Pure functions; thread-safe.

#include <string>
#include <string_view>

namespace perfwatch::bench_text {

// `text` as HTML character data or a quoted attribute value: model/html.h's
// html::Escape, the project's one escaping function.
std::string Escape(std::string_view text);

// The shortest decimal that reads back as `v` ("0.0130215722", "3"), as
// hyperfine's CSV has it; "" when not finite.
std::string Shortest(double v);

// `v` with a fixed number of decimals ("12.30"); "-" when not finite.
std::string Fixed(double v, int decimals);

// Three significant digits: "1.23", "12.3", "123".
std::string Significant(double v);

// A unit for durations of about `seconds`: "s", "ms" or "µs" and the factor
// that converts seconds to it.
struct TimeUnit {
  const char* name;
  double per_second;
};
TimeUnit TimeUnitFor(double seconds);

// "12.3 ms", "1.25 s": a duration with three significant digits.
std::string HumanSeconds(double seconds);

// "512 B", "12.3 MiB": binary prefixes, three significant digits.
std::string HumanBytes(double bytes);

}  // namespace perfwatch::bench_text

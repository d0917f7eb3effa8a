#include "alert/template.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace perfwatch {
namespace {

const Labels kLabels{{"instance", "web-1"}, {"mountpoint", "/"}};

std::string Expand(std::string_view text, double value) {
  return ExpandTemplate(text, kLabels, value);
}

TEST(Template, LeavesPlainTextUntouched) {
  EXPECT_EQ(Expand("CPU is high", 1), "CPU is high");
  EXPECT_EQ(Expand("", 1), "");
  EXPECT_EQ(Expand("a } b { c", 1), "a } b { c");
}

TEST(Template, ExpandsValueAndLabels) {
  EXPECT_EQ(Expand("CPU at {{ $value }}%", 85.5), "CPU at 85.5%");
  EXPECT_EQ(Expand("{{$value}}", 90), "90");
  EXPECT_EQ(Expand("{{ .Value }} on {{ .Labels.instance }}", 3), "3 on web-1");
  EXPECT_EQ(Expand("{{ $labels.mountpoint }} on {{ $labels.instance }}", 0), "/ on web-1");
  EXPECT_EQ(Expand("[{{ $labels.absent }}]", 0), "[]");
}

// The strings below are what Prometheus 2.x (promtool test rules) renders
// for the same templates and values.
TEST(Template, PrintsValuesAsPrometheusDoes) {
  EXPECT_EQ(Expand("{{ $value }}", 1234567), "1.234567e+06");
  EXPECT_EQ(Expand("{{ $value }}", 123456.5), "123456.5");
  EXPECT_EQ(Expand("{{ $value }}", 100000), "100000");
  EXPECT_EQ(Expand("{{ $value }}", 0.00001), "1e-05");
  EXPECT_EQ(Expand("{{ $value }}", 1e21), "1e+21");
  EXPECT_EQ(Expand("{{ $value }}", 12.345), "12.345");
  EXPECT_EQ(Expand("{{ $value }}", std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(Expand("{{ $value }}", -std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(Template, HumanizesAsPrometheusDoes) {
  EXPECT_EQ(Expand("{{ humanize $value }}", 1234567), "1.235M");
  EXPECT_EQ(Expand("{{ $value | humanize }}", 123456.5), "123.5k");
  EXPECT_EQ(Expand("{{ humanize $value }}", 0.00001), "10u");
  EXPECT_EQ(Expand("{{ humanize $value }}", 12.345), "12.35");
  EXPECT_EQ(Expand("{{ humanize $value }}", 0), "0");
  EXPECT_EQ(Expand("{{ $value | humanize1024 }}", 1234567), "1.177Mi");
  EXPECT_EQ(Expand("{{ humanizePercentage $value }}", 0.00001), "0.001%");
  EXPECT_EQ(Expand("{{ humanizeDuration $value }}", 1234567), "14d 6h 56m 7s");
  EXPECT_EQ(Expand("{{ humanizeDuration $value }}", 12.345), "12.35s");
  EXPECT_EQ(Expand("{{ humanizeDuration $value }}", 0.00001), "10us");
  EXPECT_EQ(Expand("{{ humanize \"2048\" }}", 0), "2.048k");
}

TEST(Template, PrintfFollowsGo) {
  EXPECT_EQ(Expand("{{ printf \"%.1f\" $value }}", 12.345), "12.3");
  EXPECT_EQ(Expand("{{ $value | printf \"%.2f\" }}", 12.345), "12.35");
  EXPECT_EQ(
      Expand("{{ printf \"%v %s %d %5.1f|%-6.1f|\" $value $value $value $value $value }}", 12.345),
      "12.345 %!s(float64=12.345) %!d(float64=12.345)  12.3|12.3  |");
  EXPECT_EQ(Expand("{{ printf \"%.1f\" }}", 1), "%!f(MISSING)");
  EXPECT_EQ(Expand("{{ printf \"%s\" \"x\" 1 }}", 1), "x%!(EXTRA int=1)");
  EXPECT_EQ(Expand("{{ printf \"%q|%%|%d\" \"a\\\"b\" 7 }}", 1), "\"a\\\"b\"|%|7");
  EXPECT_EQ(Expand("{{ printf \"%s is %.0f%%\" $labels.instance $value }}", 80.4), "web-1 is 80%");
}

TEST(Template, StringFunctionsAndTrimMarkers) {
  EXPECT_EQ(
      Expand("{{ toUpper \"ab\" }}|{{ title \"ab cd\" }}|{{ $labels.instance | toUpper }}", 0),
      "AB|Ab Cd|WEB-1");
  EXPECT_EQ(Expand("{{ title \"web-1 x_y\" }}", 0), "Web-1 X_y");
  EXPECT_EQ(Expand("a  {{- $value -}}  b", 5), "a5b");
  EXPECT_EQ(Expand("a {{/* note */}}b", 5), "a b");
}

TEST(Template, CheckAcceptsWhatExpands) {
  EXPECT_TRUE(CheckTemplate("CPU at {{ $value | humanize }}% on {{ $labels.instance }}").ok());
  EXPECT_TRUE(CheckTemplate("no actions at all").ok());
  EXPECT_TRUE(CheckTemplate("{{ printf \"%.1f\" $value }}").ok());
}

void ExpectError(std::string_view text, std::string_view want) {
  const Status s = CheckTemplate(text);
  ASSERT_FALSE(s.ok()) << text;
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find(want), std::string::npos) << s.message() << " lacks " << want;
}

TEST(Template, CheckNamesColumnAndProblem) {
  ExpectError("CPU {{ $value ", "column 5: unclosed '{{'");
  ExpectError("{{ humanise $value }}", "column 4: unknown function 'humanise'");
  ExpectError("x {{ $valu }}", "column 6: unknown variable '$valu'");
  ExpectError("{{ $labels }}", "$labels needs a label name");
  ExpectError("{{ .Foo }}", "unknown field '.Foo'");
  ExpectError("{{ printf \"%d }}", "unterminated string");
  ExpectError("{{ }}", "empty action");
  ExpectError("{{ $value | }}", "'|' with nothing after it");
  ExpectError("{{ $value $value }}", "unexpected argument after a value");
  ExpectError("{{ humanize }}", "humanize wants 1 argument(s), has 0");
  ExpectError("{{ $value | $value }}", "can only pipe into a function");
  ExpectError("{{ (humanize $value) }}", "unexpected '('");
  ExpectError("{{ if $value }}x{{ end }}", "unknown function 'if'");
  ExpectError("line one\n  {{ $nope }}", "line 2, column 6");
}

TEST(Template, BadTemplateExpandsToAnErrorNotACrash) {
  EXPECT_EQ(Expand("{{ $value", 1).rfind("<error expanding template: column 1: unclosed", 0), 0u);
  EXPECT_EQ(Expand("{{ humanize $labels.instance }}", 1),
            "<error expanding template: humanize: cannot convert \"web-1\" to a number>");
}

}  // namespace
}  // namespace perfwatch

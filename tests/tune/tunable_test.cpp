#include "tune/tunable.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "tune/rule_spec.h"

namespace perfwatch {
namespace {

TunableSpec CacheSize() {
  TunableSpec s;
  s.app = "shop";
  s.name = "cache.size";
  s.value = 1000;
  s.min = 100;
  s.max = 5000;
  return s;
}

TunableSpec AsyncEnabled() {
  TunableSpec s;
  s.app = "shop";
  s.name = "async.enabled";
  s.kind = TunableSpec::Kind::kBool;
  s.value = 0;
  return s;
}

std::string ErrorOf(std::string_view body) {
  Result<TunableSpec> spec = ParseTunableJson(body);
  EXPECT_FALSE(spec.ok()) << body;
  return spec.ok() ? "" : spec.status().message();
}

TEST(TunableSpec, IsIntegerOnlyWhenEveryNumberIsWhole) {
  TunableSpec s = CacheSize();
  EXPECT_TRUE(s.integer());
  s.step = 0.5;
  EXPECT_FALSE(s.integer());
  s = CacheSize();
  s.value = 1000.5;
  EXPECT_FALSE(s.integer());
  s = CacheSize();
  s.max = 4999.9;
  EXPECT_FALSE(s.integer());
  EXPECT_FALSE(AsyncEnabled().integer());
}

TEST(ValidateTunableSpec, AcceptsTheIssueExample) {
  TunableSpec s = CacheSize();
  s.webhook = "http://127.0.0.1:9096/tune";
  s.hooks = {"cache_warmup", "memory_cleanup"};
  EXPECT_TRUE(ValidateTunableSpec(s).ok()) << ValidateTunableSpec(s).ToString();
  EXPECT_TRUE(ValidateTunableSpec(AsyncEnabled()).ok());
}

TEST(ValidateTunableSpec, NamesTheFieldThatIsWrong) {
  struct Case {
    std::function<void(TunableSpec&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](TunableSpec& s) { s.app = ""; }, "app: required"},
      {[](TunableSpec& s) { s.app = "shop floor"; }, "app: \"shop floor\" may only hold"},
      {[](TunableSpec& s) { s.app = std::string(65, 'a'); }, "app: longer than 64"},
      {[](TunableSpec& s) { s.name = "cache/size"; }, "name: \"cache/size\" may only hold"},
      {[](TunableSpec& s) { s.name = std::string(129, 'n'); }, "name: longer than 128"},
      {[](TunableSpec& s) { s.min = 200, s.max = 100; }, "min (200) is above max (100)"},
      {[](TunableSpec& s) { s.value = 50; }, "value (50) is below min (100)"},
      {[](TunableSpec& s) { s.value = 6000; }, "value (6000) is above max (5000)"},
      {[](TunableSpec& s) { s.value = std::nan(""); }, "value: must be a finite number"},
      {[](TunableSpec& s) { s.step = -1; }, "step (-1) must be a finite number >= 0"},
      {[](TunableSpec& s) {
         s.allowed = {500, 1000, 5000}, s.step = 10;
       },
       "step and allowed cannot both be given"},
      {[](TunableSpec& s) {
         s.allowed = {1000, 500};
       },
       "allowed[1]: values must be ascending"},
      {[](TunableSpec& s) {
         s.allowed = {500, 9000};
       },
       "allowed[1] (9000) is outside min/max"},
      {[](TunableSpec& s) {
         s.allowed = {500, 2000};
       },
       "value (1000) is not among allowed"},
      {[](TunableSpec& s) { s.webhook = "https://x/tune"; }, "webhook: "},
      {[](TunableSpec& s) {
         s.hooks = {"ok", "bad hook"};
       },
       "hooks[1]: \"bad hook\""},
      {[](TunableSpec& s) {
         s.hooks = {"a", "a"};
       },
       "hooks[1]: \"a\" is listed twice"},
      {[](TunableSpec& s) { s.hooks.assign(17, "h"); }, "hooks: more than 16 hooks"},
      {[](TunableSpec& s) { s.unit = "a\nb"; }, "unit: holds a control character"},
  };
  for (const Case& c : cases) {
    TunableSpec s = CacheSize();
    c.change(s);
    Status status = ValidateTunableSpec(s);
    ASSERT_FALSE(status.ok()) << c.message;
    EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(status.message().rfind(c.message, 0), 0u) << status.message();
  }
}

TEST(ValidateTunableSpec, RefusesBoolsWithBoundsOrOtherValues) {
  TunableSpec s = AsyncEnabled();
  s.value = 2;
  EXPECT_EQ(ValidateTunableSpec(s).message(), "value (2) of a bool tunable must be 0 or 1");
  s = AsyncEnabled();
  s.max = 1;
  EXPECT_FALSE(ValidateTunableSpec(s).ok());
}

TEST(ParseTunableJson, ReadsEveryField) {
  Result<TunableSpec> spec = ParseTunableJson(
      R"({"app":"shop","name":"cache.ttl_seconds","value":60,"min":10,"max":3600,"step":5,)"
      R"("unit":"seconds","description":"TTL of cached pages",)"
      R"("webhook":"http://127.0.0.1:9096/tune","hooks":["cache_warmup"]})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->app, "shop");
  EXPECT_EQ(spec->name, "cache.ttl_seconds");
  EXPECT_EQ(spec->kind, TunableSpec::Kind::kNumber);
  EXPECT_EQ(spec->value, 60);
  EXPECT_EQ(spec->min, 10);
  EXPECT_EQ(spec->max, 3600);
  EXPECT_EQ(spec->step, 5);
  EXPECT_EQ(spec->unit, "seconds");
  EXPECT_EQ(spec->description, "TTL of cached pages");
  EXPECT_EQ(spec->webhook, "http://127.0.0.1:9096/tune");
  EXPECT_EQ(spec->hooks, std::vector<std::string>{"cache_warmup"});
}

TEST(ParseTunableJson, BoolValueMakesABoolTunable) {
  Result<TunableSpec> spec =
      ParseTunableJson(R"({"app":"shop","name":"async.enabled","value":true})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->kind, TunableSpec::Kind::kBool);
  EXPECT_EQ(spec->value, 1);
  EXPECT_FALSE(spec->min.has_value());
}

TEST(ParseTunableJson, SortsAllowedValuesAndTreatsNullAsAbsent) {
  Result<TunableSpec> spec = ParseTunableJson(
      R"({"app":"a","name":"pool.size","value":4,"allowed":[8,2,4,4],"min":null,"webhook":null})");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->allowed, (std::vector<double>{2, 4, 8}));
  EXPECT_FALSE(spec->min.has_value());
  EXPECT_EQ(spec->webhook, "");
}

TEST(ParseTunableJson, ErrorsNameTheField) {
  EXPECT_EQ(ErrorOf(R"({"app":"a","name":"n","value":1,"colour":"red"})"), "colour: unknown field");
  EXPECT_EQ(ErrorOf(R"({"app":"a","name":"n","value":1,"min":"1"})"), "min: expected a number");
  EXPECT_EQ(ErrorOf(R"({"app":"a","name":"n"})"), "value: required");
  EXPECT_EQ(ErrorOf(R"({"app":"a","name":"n","value":"1"})"),
            "value: expected a number or true/false");
  EXPECT_EQ(ErrorOf(R"({"app":1,"name":"n","value":1})"), "app: expected a string");
  EXPECT_EQ(ErrorOf(R"({"name":"n","value":1})"), "app: required");
  EXPECT_EQ(ErrorOf(R"({"app":"a","name":"n","value":1,"hooks":["x",2]})"),
            "hooks[1]: expected a string");
  EXPECT_EQ(ErrorOf(R"({"app":"a","name":"n","value":1,"allowed":[1,"2"]})"),
            "allowed[1]: expected a number");
  EXPECT_EQ(ErrorOf(R"({"app":"a","name":"n","value":1,"min":5})"), "value (1) is below min (5)");
  EXPECT_EQ(ErrorOf(R"([1])"), "expected a JSON object");
  EXPECT_EQ(ErrorOf(R"({"app":)").rfind("not valid JSON", 0), 0u);
}

TEST(ParseTunablesJson, NamesTheArrayElement) {
  Result<std::vector<TunableSpec>> specs =
      ParseTunablesJson(R"([{"app":"a","name":"x","value":1},{"app":"a","name":"y","value":2},)"
                        R"({"app":"a","name":"z","value":3,"min":"low"}])");
  ASSERT_FALSE(specs.ok());
  EXPECT_EQ(specs.status().message(), "[2].min: expected a number");

  specs = ParseTunablesJson(R"([{"app":"a","name":"x","value":1},{"app":"a","name":"y",)"
                            R"("value":1,"min":200,"max":100}])");
  ASSERT_FALSE(specs.ok());
  EXPECT_EQ(specs.status().message(), "[1].min (200) is above max (100)");

  specs = ParseTunablesJson(R"([{"app":"a","name":"x","value":1}, 7])");
  ASSERT_FALSE(specs.ok());
  EXPECT_EQ(specs.status().message(), "[1]: expected a JSON object");
  EXPECT_FALSE(ParseTunablesJson("[]").ok());
}

TEST(ParseTunablesJson, TakesAnArrayOrOneObject) {
  Result<std::vector<TunableSpec>> specs = ParseTunablesJson(
      R"([{"app":"a","name":"x","value":1},{"app":"a","name":"y","value":false}])");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ((*specs)[1].kind, TunableSpec::Kind::kBool);
  specs = ParseTunablesJson(R"({"app":"a","name":"x","value":1})");
  ASSERT_TRUE(specs.ok());
  EXPECT_EQ(specs->size(), 1u);
}

TEST(ConformValue, ClampsIntoMinAndMax) {
  const TunableSpec s = CacheSize();
  EXPECT_EQ(ConformValue(s, 50), 100);
  EXPECT_EQ(ConformValue(s, 9000), 5000);
  EXPECT_EQ(ConformValue(s, std::numeric_limits<double>::infinity()), 5000);
  EXPECT_EQ(ConformValue(s, -std::numeric_limits<double>::infinity()), 100);
  EXPECT_EQ(ConformValue(s, std::nan("")), 1000);
}

TEST(ConformValue, RoundsIntegerTunables) {
  const TunableSpec s = CacheSize();
  EXPECT_EQ(ConformValue(s, 1000 * 0.7), 700);
  EXPECT_EQ(ConformValue(s, 333.4), 333);
  EXPECT_EQ(ConformValue(s, 333.5), 334);
  TunableSpec frac = CacheSize();
  frac.value = 0.5;
  frac.min = 0;
  frac.max = 1;
  EXPECT_DOUBLE_EQ(ConformValue(frac, 0.35), 0.35);
}

TEST(ConformValue, SnapsToTheStepFromMin) {
  TunableSpec s = CacheSize();
  s.min = 10;
  s.max = 3600;
  s.step = 5;
  s.value = 60;
  EXPECT_EQ(ConformValue(s, 90.4), 90);
  EXPECT_EQ(ConformValue(s, 92.6), 95);
  EXPECT_EQ(ConformValue(s, 3598), 3600);
  TunableSpec odd = s;
  odd.max = 3603;  // the grid 10, 15, ... ends at 3600
  EXPECT_EQ(ConformValue(odd, 3602), 3600);
  TunableSpec tenth;
  tenth.app = "a";
  tenth.name = "ratio";
  tenth.value = 0.5;
  tenth.min = 0;
  tenth.max = 1;
  tenth.step = 0.1;
  EXPECT_EQ(ConformValue(tenth, 0.31), 0.3);  // exactly, not 0.30000000000000004
  EXPECT_EQ(ConformValue(tenth, 0.97), 1);
}

TEST(ConformValue, PicksTheNearestAllowedValueTowardsTheChange) {
  TunableSpec s;
  s.app = "a";
  s.name = "pool.size";
  s.value = 2;
  s.allowed = {1, 2, 4, 8};
  EXPECT_EQ(ConformValue(s, 2 * 0.7), 1);
  EXPECT_EQ(ConformValue(s, 2 * 1.5), 4);  // a tie moves the way the change goes
  EXPECT_EQ(ConformValue(s, 100), 8);
  EXPECT_EQ(ConformValue(s, -5), 1);
  s.max = 4;  // allowed values beyond max are never chosen
  EXPECT_EQ(ConformValue(s, 100), 4);
}

TEST(ConformValue, MakesBoolsZeroOrOne) {
  const TunableSpec s = AsyncEnabled();
  EXPECT_EQ(ConformValue(s, 1), 1);
  EXPECT_EQ(ConformValue(s, 0.7), 1);
  EXPECT_EQ(ConformValue(s, 0.2), 0);
  EXPECT_EQ(ConformValue(s, -3), 0);
  EXPECT_EQ(ConformValue(s, 42), 1);
}

TEST(ConformValue, NeverLeavesMinAndMax) {
  TunableSpec s = CacheSize();
  s.step = 7;
  for (double p = -20000; p <= 20000; p += 13.37) {
    const double v = ConformValue(s, p);
    ASSERT_GE(v, 100) << p;
    ASSERT_LE(v, 5000) << p;
    ASSERT_EQ(v, std::round(v)) << p;
  }
}

TEST(FormatTunableValue, ShowsValuesAsTheAuditDoes) {
  EXPECT_EQ(FormatTunableValue(CacheSize(), 1000), "1000");
  EXPECT_EQ(FormatTunableValue(CacheSize(), 0.5), "0.5");
  EXPECT_EQ(FormatTunableValue(CacheSize(), -3), "-3");
  EXPECT_EQ(FormatTunableValue(AsyncEnabled(), 1), "true");
  EXPECT_EQ(FormatTunableValue(AsyncEnabled(), 0), "false");
}

TEST(TuningAction, DescribesEachKind) {
  TuningAction a;
  a.kind = TuningAction::Kind::kScale;
  a.factor = 0.7;
  a.tunable = "shop/cache.size";
  EXPECT_EQ(a.Describe(), "scale 0.7 shop/cache.size");
  a = {};
  a.kind = TuningAction::Kind::kSet;
  a.value = 1;
  a.value_is_bool = true;
  a.tunable = "async.enabled";
  EXPECT_EQ(a.Describe(), "set true async.enabled");
  a.value_is_bool = false;
  a.value = 8;
  a.tunable = "pool.size";
  EXPECT_EQ(a.Describe(), "set 8 pool.size");
  a = {};
  a.kind = TuningAction::Kind::kToggle;
  a.tunable = "x";
  EXPECT_EQ(a.Describe(), "toggle x");
  a = {};
  a.kind = TuningAction::Kind::kExec;
  a.argv = {"/bin/x", "a", "b"};
  EXPECT_EQ(a.Describe(), "exec /bin/x a b");
  a.argv = {"/bin/x", "two words", ""};
  EXPECT_EQ(a.Describe(), "exec /bin/x \"two words\" \"\"");
  a = {};
  a.kind = TuningAction::Kind::kWebhook;
  a.url = "http://127.0.0.1:9/decide";
  EXPECT_EQ(a.Describe(), "webhook http://127.0.0.1:9/decide");
  a = {};
  a.kind = TuningAction::Kind::kHook;
  a.hook = "cache_warmup";
  EXPECT_EQ(a.Describe(), "hook cache_warmup");
  a.app = "shop";
  EXPECT_EQ(a.Describe(), "hook shop/cache_warmup");
}

}  // namespace
}  // namespace perfwatch

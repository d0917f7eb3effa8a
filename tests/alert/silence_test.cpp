#include "alert/silence.h"

#include <gtest/gtest.h>

#include <set>

#include "interchange/iso8601.h"

namespace perfwatch {
namespace {

constexpr const char* kAmtoolBody = R"({
  "matchers": [
    {"name": "alertname", "value": "HighCpu", "isRegex": false, "isEqual": true},
    {"name": "instance", "value": "web-[0-9]+", "isRegex": true}
  ],
  "startsAt": "2024-05-01T10:00:00.000Z",
  "endsAt": "2024-05-01T12:00:00Z",
  "createdBy": "ana",
  "comment": "maintenance window"
})";

TimestampMs At(std::string_view iso) { return *ParseIso8601(iso); }

TEST(Silence, ParsesAnAlertmanagerPostableSilence) {
  Result<Silence> s = ParseSilenceJson(kAmtoolBody);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->id, "");
  ASSERT_EQ(s->matchers.size(), 2u);
  EXPECT_EQ(s->matchers[0].name, "alertname");
  EXPECT_FALSE(s->matchers[0].is_regex);
  EXPECT_TRUE(s->matchers[1].is_regex);
  EXPECT_TRUE(s->matchers[1].is_equal);  // isEqual defaults to true
  EXPECT_EQ(s->starts_at_ms, At("2024-05-01T10:00:00Z"));
  EXPECT_EQ(s->ends_at_ms, At("2024-05-01T12:00:00Z"));
  EXPECT_EQ(s->created_by, "ana");
  EXPECT_EQ(s->comment, "maintenance window");
}

TEST(Silence, MatchesAllMatchersWithAnchoredRegex) {
  Silence s = *ParseSilenceJson(kAmtoolBody);
  EXPECT_TRUE(s.Matches(Labels{{"alertname", "HighCpu"}, {"instance", "web-12"}, {"x", "y"}}));
  EXPECT_FALSE(s.Matches(Labels{{"alertname", "HighCpu"}, {"instance", "web-12b"}}));  // anchored
  EXPECT_FALSE(s.Matches(Labels{{"alertname", "HighCpu"}, {"instance", "xweb-1"}}));
  EXPECT_FALSE(s.Matches(Labels{{"alertname", "HighMem"}, {"instance", "web-1"}}));
  EXPECT_FALSE(s.Matches(Labels{{"alertname", "HighCpu"}}));  // absent label is ""
}

TEST(Silence, NegativeMatchersAndAbsentLabels) {
  Result<SilenceMatcher> ne = MakeSilenceMatcher("severity", "critical", false, false);
  Result<SilenceMatcher> nre = MakeSilenceMatcher("host", "db.*", true, false);
  ASSERT_TRUE(ne.ok() && nre.ok());
  Silence s;
  s.matchers = {*MakeSilenceMatcher("alertname", "A", false, true), *ne, *nre};
  EXPECT_TRUE(s.Matches(Labels{{"alertname", "A"}, {"severity", "warning"}, {"host", "web"}}));
  EXPECT_TRUE(s.Matches(Labels{{"alertname", "A"}}));
  EXPECT_FALSE(s.Matches(Labels{{"alertname", "A"}, {"severity", "critical"}}));
  EXPECT_FALSE(s.Matches(Labels{{"alertname", "A"}, {"host", "db1"}}));
}

TEST(Silence, IsActiveFromStartUntilEnd) {
  Silence s = *ParseSilenceJson(kAmtoolBody);
  EXPECT_EQ(s.StateAt(s.starts_at_ms - 1), SilenceState::kPending);
  EXPECT_TRUE(s.ActiveAt(s.starts_at_ms));
  EXPECT_TRUE(s.ActiveAt(s.ends_at_ms - 1));
  EXPECT_FALSE(s.ActiveAt(s.ends_at_ms));
  EXPECT_EQ(s.StateAt(s.ends_at_ms), SilenceState::kExpired);
}

TEST(Silence, RendersAsAlertmanagerListsIt) {
  Silence s = *ParseSilenceJson(kAmtoolBody);
  s.id = "abc";
  s.updated_at_ms = s.starts_at_ms;
  EXPECT_EQ(
      RenderSilenceJson(s, s.starts_at_ms + 1),
      R"({"comment":"maintenance window","createdBy":"ana","endsAt":"2024-05-01T12:00:00.000Z",)"
      R"("id":"abc","matchers":[{"isEqual":true,"isRegex":false,"name":"alertname",)"
      R"("value":"HighCpu"},{"isEqual":true,"isRegex":true,"name":"instance",)"
      R"("value":"web-[0-9]+"}],"startsAt":"2024-05-01T10:00:00.000Z",)"
      R"("status":{"state":"active"},"updatedAt":"2024-05-01T10:00:00.000Z"})");
}

TEST(Silence, RenderedSilenceParsesBackTheSame) {
  Silence s = *ParseSilenceJson(kAmtoolBody);
  s.id = "abc";
  Result<Silence> back = ParseSilenceJson(RenderSilenceJson(s, 0));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, "abc");
  EXPECT_EQ(back->starts_at_ms, s.starts_at_ms);
  EXPECT_EQ(back->ends_at_ms, s.ends_at_ms);
  EXPECT_EQ(RenderMatchersJson(back->matchers), RenderMatchersJson(s.matchers));
  Result<std::vector<SilenceMatcher>> m = ParseMatchersJson(RenderMatchersJson(s.matchers));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE((*m)[1].Matches("web-7"));
}

void ExpectRejected(std::string_view body, std::string_view want) {
  Result<Silence> s = ParseSilenceJson(body);
  ASSERT_FALSE(s.ok()) << body;
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.status().message().find(want), std::string::npos)
      << s.status().message() << " lacks " << want;
}

TEST(Silence, RejectsBadInputNamingTheField) {
  const std::string times = R"("startsAt":"2024-05-01T10:00:00Z","endsAt":"2024-05-01T11:00:00Z",)"
                            R"("createdBy":"a","comment":"c")";
  const std::string ok_matcher = R"({"name":"alertname","value":"A","isRegex":false})";
  ExpectRejected("not json", "not valid JSON");
  ExpectRejected("[1]", "must be a JSON object");
  ExpectRejected("{" + times + "}", "matchers: required");
  ExpectRejected(R"({"matchers":[],)" + times + "}", "matchers: at least one matcher required");
  ExpectRejected(R"({"matchers":[{"name":"a","value":"b"}],)" + times + "}",
                 "matchers[0].isRegex: required");
  ExpectRejected(R"({"matchers":[)" + ok_matcher +
                     R"(,{"name":"1x","value":"b","isRegex":false}],)" + times + "}",
                 "matchers[1]: invalid label name '1x'");
  ExpectRejected(R"({"matchers":[{"name":"a","value":"(","isRegex":true}],)" + times + "}",
                 "matchers[0]: invalid regular expression '('");
  ExpectRejected(R"({"matchers":[{"name":"a","value":".*","isRegex":true}],)" + times + "}",
                 "must not match the empty string");
  ExpectRejected(
      R"({"matchers":[)" + ok_matcher +
          R"(],"startsAt":"yesterday","endsAt":"2024-05-01T11:00:00Z","createdBy":"a","comment":"c"})",
      "startsAt: not a date-time");
  ExpectRejected(
      R"({"matchers":[)" + ok_matcher +
          R"(],"startsAt":"2024-05-01T12:00:00Z","endsAt":"2024-05-01T11:00:00Z","createdBy":"a","comment":"c"})",
      "endsAt: end time must not be before start time");
  ExpectRejected(
      R"({"matchers":[)" + ok_matcher +
          R"(],"startsAt":"2024-05-01T10:00:00Z","endsAt":"2024-05-01T11:00:00Z","comment":"c"})",
      "createdBy: required");
  ExpectRejected(
      R"({"matchers":[)" + ok_matcher +
          R"(],"startsAt":"2024-05-01T10:00:00Z","endsAt":3,"createdBy":"a","comment":"c"})",
      "endsAt: must be a string");
}

TEST(Silence, IdsAreUuidShapedAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewSilenceId();
    ASSERT_EQ(id.size(), 36u) << id;
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[14], '4') << id;  // version 4
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

TEST(Silence, FormatsTimesAsAlertmanager) {
  EXPECT_EQ(FormatRfc3339Ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(At("2024-02-29T23:59:58.123Z")), "2024-02-29T23:59:58.123Z");
  EXPECT_EQ(FormatRfc3339Ms(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace perfwatch

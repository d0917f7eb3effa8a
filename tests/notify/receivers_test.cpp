#include "notify/receivers.h"

#include <gtest/gtest.h>

#include "notify/dispatcher.h"
#include "test_support.h"

namespace perfwatch {
namespace {

ReceiverOptions Webhook(std::string url) {
  ReceiverOptions o;
  o.type = "webhook";
  o.url = std::move(url);
  return o;
}

void ExpectRefused(const ReceiverOptions& o, const std::string& field, const std::string& why) {
  Status s = ValidateReceiver(o);
  ASSERT_FALSE(s.ok()) << field;
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find(field + ":"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
}

TEST(ValidateReceiver, AcceptsEachKnownType) {
  ReceiverOptions console = testing::ReceiverOf("console");
  ReceiverOptions log = testing::ReceiverOf("log", "/var/log/perfwatch/alerts.jsonl");
  ReceiverOptions exec = testing::ExecOf({"/usr/local/bin/page", "--team=ops"});
  ReceiverOptions am = testing::ReceiverOf("alertmanager", "http://127.0.0.1:9093");
  for (const ReceiverOptions& o : {console, log, exec, am, Webhook("http://127.0.0.1:9095/hook")}) {
    EXPECT_TRUE(ValidateReceiver(o).ok()) << o.type << ": " << ValidateReceiver(o).message();
  }
}

TEST(ValidateReceiver, NamesTheBadField) {
  ExpectRefused(testing::ReceiverOf("pager"), "type", "unknown receiver type \"pager\"");
  ExpectRefused(testing::ReceiverOf("webhook"), "url", "is required");
  ExpectRefused(Webhook("https://hooks.example.com/x"), "url", "https is not supported");
  ExpectRefused(Webhook("http://h:99999/"), "url", "port");
  ExpectRefused(testing::ReceiverOf("log"), "path", "is required");
  ExpectRefused(testing::ExecOf({}), "command", "program");
  ExpectRefused(testing::ExecOf({""}), "command", "program");
  ReceiverOptions slow = Webhook("http://h/");
  slow.timeout_ms = 0;
  ExpectRefused(slow, "timeout_ms", "greater than 0");
  ReceiverOptions no_tries = Webhook("http://h/");
  no_tries.max_attempts = 0;
  ExpectRefused(no_tries, "max_attempts", "at least 1");
  ReceiverOptions header = Webhook("http://h/");
  header.headers = {{"X-Team", "a\r\nX-Evil: 1"}};
  ExpectRefused(header, "headers", "line break");
}

TEST(ValidateReceiver, MessageNamesTheReceiver) {
  ReceiverOptions o = Webhook("ftp://x");
  o.name = "pager-duty";
  EXPECT_NE(ValidateReceiver(o).message().find("\"pager-duty\""), std::string::npos);
}

TEST(AlertmanagerUrl, AppendsTheApiPathOnce) {
  EXPECT_EQ(AlertmanagerUrl("http://am:9093")->target, "/api/v2/alerts");
  EXPECT_EQ(AlertmanagerUrl("http://am:9093/")->target, "/api/v2/alerts");
  EXPECT_EQ(AlertmanagerUrl("http://am/prefix/")->target, "/prefix/api/v2/alerts");
  EXPECT_EQ(AlertmanagerUrl("http://am/api/v2/alerts")->target, "/api/v2/alerts");
  EXPECT_FALSE(AlertmanagerUrl("http://am/?x=1").ok());
}

TEST(Dispatcher, StartRefusesABadReceiverAndSaysWhich) {
  Dispatcher d({testing::ReceiverOf("console"), Webhook("https://x/")}, GroupingOptions{});
  Status s = d.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("notify[1]"), std::string::npos) << s.message();
  EXPECT_TRUE(d.Stats().empty());
}

TEST(Dispatcher, StartRefusesABadGroupByLabel) {
  GroupingOptions g;
  g.group_by = {"alertname", "bad-label"};
  Dispatcher d({testing::ReceiverOf("console")}, g);
  Status s = d.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("group_by"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace perfwatch

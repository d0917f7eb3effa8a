// The embedded dashboard: every file of the web/ build served from the table
// with its type, security and caching headers, gzip or identity, 304 on its
// ETag; nothing outside the table; the byte budget and the no-inline-code
// rule its CSP relies on. Runs against the table this build embedded.

#include "api/dashboard_routes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "fake_store.h"
#include "ingest/gzip.h"
#include "server_fixture.h"
#include "test_client.h"
#include "web/assets.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using apitest::FakeStore;
using web::AllAssets;
using web::Asset;

constexpr size_t kGzipBudgetBytes = 150 * 1024;

std::string Gunzip(std::string_view gz) {
  std::string out;
  Status st = Inflate(gz, ContentCoding::kGzip, 64 << 20, &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

std::string Quoted(uint64_t fnv, std::string_view suffix = "") {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv));
  std::string tag = "\"";
  tag.append(hex).append(suffix).append("\"");
  return tag;
}

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return std::move(s).str();
}

TEST(AcceptsGzip, FollowsTheCodingsAndTheirQValues) {
  struct Case {
    std::string_view header;
    bool gzip;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"gzip", true},
           {"gzip, deflate, br, zstd", true},
           {"GZip;q=0.5", true},
           {"x-gzip", true},
           {"br;q=1.0, gzip;q=0.001", true},
           {"*", true},
           {"deflate, *;q=0.1", true},
           {"gzip;q=0", false},
           {"gzip ; q=0.000, deflate", false},
           {"gzip;Q=0", false},
           {"gzip;q=0, *", false},  // naming gzip overrides the wildcard
           {"*;q=0", false},
           {"gzip;q=nope", false},
           {"deflate, br", false},
           {"identity", false},
           {"gzipper", false},
           {"", false},
       }) {
    EXPECT_EQ(AcceptsGzip(c.header), c.gzip) << "'" << c.header << "'";
  }
}

TEST(IfNoneMatch, ComparesWeaklyAcrossAList) {
  const std::string_view tags[] = {"\"abc\"", "\"abc-gzip\""};
  EXPECT_TRUE(IfNoneMatchMatches("\"abc\"", tags));
  EXPECT_TRUE(IfNoneMatchMatches("W/\"abc-gzip\"", tags));
  EXPECT_TRUE(IfNoneMatchMatches("\"x\", W/\"y\",\"abc\"", tags));
  EXPECT_TRUE(IfNoneMatchMatches("*", tags));
  EXPECT_FALSE(IfNoneMatchMatches("\"ab\"", tags));
  EXPECT_FALSE(IfNoneMatchMatches("\"x\", \"y\"", tags));
  EXPECT_FALSE(IfNoneMatchMatches("abc", tags));        // unquoted: malformed
  EXPECT_FALSE(IfNoneMatchMatches("\"abc", tags));      // unterminated
  EXPECT_FALSE(IfNoneMatchMatches("w/\"abc\"", tags));  // the prefix is case-sensitive
  EXPECT_FALSE(IfNoneMatchMatches("", tags));
}

class DashboardTest : public ::testing::Test {
 protected:
  DashboardTest() : handler_(registry_, store_, ApiOptions{}) {}

  HttpResponse Request(const std::string& method, const std::string& target,
                       std::string accept_encoding = "", std::string if_none_match = "") const {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.accept_encoding = std::move(accept_encoding);
    r.if_none_match = std::move(if_none_match);
    return handler_.Handle(r);
  }

  static const Asset& Index() {
    const Asset* index = web::FindAsset("/index.html");
    EXPECT_NE(index, nullptr);
    return *index;
  }

  SeriesRegistry registry_;
  FakeStore store_;
  ApiHandler handler_;
};

TEST_F(DashboardTest, TheTableIsSortedAndHoldsIndexAndHashedAssets) {
  std::span<const Asset> all = AllAssets();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(),
                             [](const Asset& a, const Asset& b) { return a.path < b.path; }));
  EXPECT_NE(web::FindAsset("/index.html"), nullptr);
  int scripts = 0, styles = 0;
  for (const Asset& a : all) {
    EXPECT_EQ(a.immutable, a.path.starts_with("/assets/")) << a.path;
    EXPECT_EQ(web::FindAsset(a.path), &a) << a.path;
    // gzip magic, deflate, no flags (so no name), mtime 0: the build's
    // time and paths leave no trace in the bytes.
    EXPECT_EQ(a.gzip.substr(0, 8), std::string_view("\x1f\x8b\x08\0\0\0\0\0", 8)) << a.path;
    scripts += a.path.starts_with("/assets/") && a.path.ends_with(".js");
    styles += a.path.starts_with("/assets/") && a.path.ends_with(".css");
  }
  EXPECT_GE(scripts, 1);
  EXPECT_GE(styles, 1);
}

// The embedded bytes are the web/ build's, file for file.
TEST_F(DashboardTest, TheTableHoldsExactlyTheFilesOfTheWebBuild) {
  std::set<std::string> on_disk;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(PERFWATCH_WEB_DIST)) {
    if (!e.is_regular_file()) continue;
    std::string path = "/";  // appended: GCC 12 warns falsely (-Wrestrict) on "/" + string
    path += e.path().lexically_relative(PERFWATCH_WEB_DIST).generic_string();
    on_disk.insert(path);
    const Asset* a = web::FindAsset(path);
    ASSERT_NE(a, nullptr) << path << " was built but not embedded";
    const std::string bytes = ReadFile(e.path());
    EXPECT_EQ(a->size, bytes.size()) << path;
    EXPECT_TRUE(Gunzip(a->gzip) == bytes) << path;
  }
  EXPECT_EQ(on_disk.size(), AllAssets().size());
}

TEST_F(DashboardTest, EveryFileIsServedWithItsTypeAndTheDashboardHeaders) {
  const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
  };
  for (const Asset& a : AllAssets()) {
    const std::string path(a.path);
    HttpResponse r = Request("GET", path, "gzip, deflate, br");
    ASSERT_EQ(r.status, 200) << path;
    const std::string ext = fs::path(path).extension().string();
    if (types.contains(ext)) {
      EXPECT_EQ(r.content_type, types.at(ext)) << path;
    }
    EXPECT_EQ(r.Header("Content-Security-Policy"), kDashboardCsp) << path;
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer") << path;
    EXPECT_EQ(r.Header("Vary"), "Accept-Encoding") << path;
    EXPECT_EQ(r.Header("Cache-Control"),
              a.immutable ? "public, max-age=31536000, immutable" : "no-cache")
        << path;
    EXPECT_EQ(r.Header("Content-Encoding"), "gzip") << path;
    EXPECT_EQ(r.body, a.gzip) << path;
    HttpResponse plain = Request("GET", path);
    ASSERT_EQ(plain.status, 200) << path;
    EXPECT_EQ(plain.Header("Content-Encoding"), "") << path;
    EXPECT_EQ(plain.body.size(), a.size) << path;
    EXPECT_TRUE(Gunzip(r.body) == plain.body) << path;
    // The ETags are a hash of the file's own bytes, distinct per coding.
    EXPECT_EQ(plain.Header("ETag"), Quoted(Fnv1a64(plain.body))) << path;
    EXPECT_EQ(r.Header("ETag"), Quoted(Fnv1a64(plain.body), "-gzip")) << path;
  }
}

TEST_F(DashboardTest, RootIsIndexHtml) {
  HttpResponse root = Request("GET", "/");
  ASSERT_EQ(root.status, 200);
  EXPECT_EQ(root.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(root.body, Request("GET", "/index.html").body);
  EXPECT_EQ(root.Header("ETag"), Index().etag);
  EXPECT_EQ(root.Header("Cache-Control"), "no-cache");
  EXPECT_EQ(root.Header("Content-Security-Policy"), kDashboardCsp);
  EXPECT_EQ(Request("GET", "/?from=1&to=2").body, root.body);
}

TEST_F(DashboardTest, AnswersNotModifiedToItsETagInAnyForm) {
  const Asset& index = Index();
  const std::string tag(index.etag), gz_tag(index.etag_gzip);
  for (const std::string& inm : {tag, gz_tag, "W/" + tag, "\"other\", " + gz_tag,
                                 "\"a\",W/" + tag + " ,\"b\"", std::string("*")}) {
    HttpResponse r = Request("GET", "/", "gzip", inm);
    EXPECT_EQ(r.status, 304) << inm;
    EXPECT_EQ(r.body, "") << inm;
    EXPECT_EQ(r.Header("ETag"), gz_tag) << inm;
    EXPECT_EQ(r.Header("Cache-Control"), "no-cache") << inm;
    EXPECT_EQ(r.Header("Vary"), "Accept-Encoding") << inm;
  }
  EXPECT_EQ(Request("GET", "/", "", tag).status, 304);
  EXPECT_EQ(Request("HEAD", "/", "", tag).status, 304);
  HttpResponse stale = Request("GET", "/", "gzip", "\"0000000000000000\"");
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, index.gzip);
}

TEST_F(DashboardTest, HeadHasTheHeadersOfGet) {
  for (const std::string enc : {"", "gzip"}) {
    HttpResponse get = Request("GET", "/", enc), head = Request("HEAD", "/", enc);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers, get.headers) << enc;
    EXPECT_EQ(head.content_type, get.content_type);
    // The server sends no body for HEAD but takes Content-Length from it.
    EXPECT_EQ(head.body.size(), get.body.size()) << enc;
  }
}

TEST_F(DashboardTest, PathsOutsideTheTableAre404Json) {
  for (const char* target :
       {"/assets/../../etc/passwd", "/%2e%2e/", "/%2e%2e/etc/passwd", "/assets/%2e%2e/index.html",
        "/assets/app-nope.js", "/assets/", "/assets", "//index.html", "/index.html/", "/INDEX.HTML",
        "/./index.html", "/index.html%00", "/etc/passwd", "/web/index.html"}) {
    HttpResponse r = Request("GET", target, "gzip");
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.content_type, "application/json") << target;
    EXPECT_EQ(r.Header("Cache-Control"), "no-store") << target;
    EXPECT_NE(r.body.find("no route for"), std::string::npos) << target;
  }
}

TEST_F(DashboardTest, OtherMethodsAre405) {
  HttpResponse r = Request("POST", "/");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
  EXPECT_EQ(Request("DELETE", "/index.html").status, 405);
}

TEST_F(DashboardTest, ApiIsTheIndexOfRoutesLinkingBackToTheDashboard) {
  HttpResponse r = Request("GET", "/api");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  for (const char* link :
       {"href=\"/\"", "href=\"/api/v1/health\"", "href=\"/api/v1/metrics\"", "href=\"/metrics\"",
        "href=\"/api/v1/status\"", "href=\"/api/v1/alerts\"", "href=\"/api/v1/analysis\"",
        "href=\"/api/v1/metadata\"", "/api/v1/metrics/history", "/api/v1/export", "/ws"}) {
    EXPECT_NE(r.body.find(link), std::string::npos) << link;
  }
  EXPECT_NE(r.Header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
}

TEST(DashboardBudget, AllEmbeddedFilesTogetherAreAtMost150KiBGzipped) {
  size_t total = 0;
  for (const Asset& a : AllAssets()) total += a.gzip.size();
  RecordProperty("gzip_bytes", static_cast<int>(total));
  EXPECT_LE(total, kGzipBudgetBytes) << "the dashboard's files take " << total << " bytes gzipped";
}

// The CSP forbids inline code; the page must not need any.
TEST(DashboardPage, IndexHtmlHasNoInlineScriptStyleOrHandler) {
  const Asset* index = web::FindAsset("/index.html");
  ASSERT_NE(index, nullptr);
  const std::string html = Gunzip(index->gzip);
  const std::regex script_tag(R"(<script\b[^>]*>)", std::regex::icase);
  int scripts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), script_tag);
       it != std::sregex_iterator(); ++it) {
    ++scripts;
    EXPECT_TRUE(std::regex_search(it->str(), std::regex(R"(\ssrc=)", std::regex::icase)))
        << "inline script: " << it->str();
  }
  EXPECT_GE(scripts, 1);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(<style\b)", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\sstyle\s*=)", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son\w+\s*=)", std::regex::icase)));
  EXPECT_EQ(html.find("javascript:"), std::string::npos);
}

// Every local file the page loads is one the server has.
TEST(DashboardPage, IndexHtmlReferencesOnlyEmbeddedFiles) {
  const std::string html = Gunzip(web::FindAsset("/index.html")->gzip);
  const std::regex ref(R"re(\s(?:src|href)="(/[^"]*)")re");
  int refs = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), ref); it != std::sregex_iterator();
       ++it) {
    ++refs;
    EXPECT_NE(web::FindAsset((*it)[1].str()), nullptr) << (*it)[1].str();
  }
  EXPECT_GE(refs, 2);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)="(https?:)?//)")));
}

// Over a real socket: lengths and codings as a browser sees them.
using DashboardServerTest = apitest::ServerTest;

TEST_F(DashboardServerTest, SendsLengthsThatMatchTheCodingAndNoBodyForHeadOr304) {
  StartServer();
  const Asset& index = *web::FindAsset("/index.html");
  apitest::HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  Result<apitest::ClientResponse> gz =
      client.Request("GET", "/", "", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(gz.ok()) << gz.status().ToString();
  EXPECT_EQ(gz->status, 200);
  EXPECT_EQ(gz->Header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->Header("Content-Length"), std::to_string(index.gzip.size()));
  EXPECT_EQ(gz->body, index.gzip);
  EXPECT_EQ(gz->Header("Content-Security-Policy"), kDashboardCsp);

  Result<apitest::ClientResponse> head = client.Request("HEAD", "/");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Encoding"), "");
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(index.size));
  EXPECT_EQ(head->body, "");

  Result<apitest::ClientResponse> cached =
      client.Request("GET", "/", "", {{"If-None-Match", std::string(index.etag)}});
  ASSERT_TRUE(cached.ok()) << cached.status().ToString();
  EXPECT_EQ(cached->status, 304);
  EXPECT_EQ(cached->Header("Content-Length"), "");
  EXPECT_EQ(cached->Header("ETag"), index.etag);
  EXPECT_EQ(cached->body, "");

  // The connection is still usable after the bodiless answers.
  Result<apitest::ClientResponse> plain = client.Request("GET", "/index.html");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->status, 200);
  EXPECT_EQ(plain->body, Gunzip(index.gzip));
}

}  // namespace
}  // namespace perfwatch

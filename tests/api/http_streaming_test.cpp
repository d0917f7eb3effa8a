// GET /api/v1/export over real sockets: the body arrives chunked and equal to
// the writer's output, a slow reader holds production back, a store failure
// cuts the transfer short, HEAD sends headers only, and a client that stops
// reading is dropped. A plain POSIX socket reads here, so each test decides
// exactly when and how much the client reads.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "api/api_server.h"
#include "interchange/interchange.h"
#include "synthetic_store.h"
#include "test_client.h"

namespace perfwatch::apitest {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr TimestampMs kT0 = 1'700'000'000'000;
constexpr int64_t kHourMs = 3'600'000;
// The shortest CSV line the synthetic series give:
// synthetic_value,"{series=""0""}",1700000000000,0\n
constexpr size_t kMinCsvLine = 48;

// A blocking loopback connection read only when the test says so.
class RawConnection {
 public:
  // `receive_buffer` > 0 caps the kernel's receive buffer (before connect, so
  // the window the server sees is small from the start).
  explicit RawConnection(uint16_t port, int receive_buffer = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { close(fd_); }

  bool connected() const { return connected_; }
  bool closed() const { return closed_; }

  bool Send(std::string_view bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // Reads until `into` holds `size` bytes, the server closes, or `timeout`.
  void ReadUntil(std::string& into, size_t size, milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    while (into.size() < size && !closed_) {
      auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= milliseconds(0)) return;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      ssize_t n = recv(fd_, buf, std::min(sizeof buf, size - into.size()), 0);
      if (n <= 0) {
        closed_ = true;  // EOF or reset
        return;
      }
      into.append(buf, static_cast<size_t>(n));
    }
  }

  // Reads until the server closes (true) or `timeout` passes (false).
  bool ReadToEnd(std::string& into, milliseconds timeout) {
    ReadUntil(into, SIZE_MAX, timeout);
    return closed_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

struct RawResponse {
  std::string head;  // status line and header fields, without the blank line
  std::string body;  // decoded
  size_t chunks = 0;
  bool complete = false;  // chunked: the zero chunk and final CRLF arrived
};

// Splits a raw response and strictly decodes a chunked body.
RawResponse ParseRaw(const std::string& raw) {
  RawResponse r;
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  r.head = raw.substr(0, end);
  if (r.head.find("Transfer-Encoding: chunked") == std::string::npos) {
    r.body = raw.substr(end + 4);
    return r;
  }
  size_t pos = end + 4;
  while (true) {
    size_t eol = raw.find("\r\n", pos);
    if (eol == std::string::npos) return r;
    size_t len = std::stoul(raw.substr(pos, eol - pos), nullptr, 16);
    if (len == 0) {
      r.complete = raw.compare(eol, std::string::npos, "\r\n\r\n") == 0;
      return r;
    }
    if (raw.size() < eol + 2 + len + 2 || raw.compare(eol + 2 + len, 2, "\r\n") != 0) return r;
    r.body.append(raw, eol + 2, len);
    ++r.chunks;
    pos = eol + 2 + len + 2;
  }
}

std::string Get(const std::string& target, const std::string& version = "HTTP/1.1") {
  return "GET " + target + " " + version + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
}

// Most bytes the kernel can hold between the server's write and the
// client's read: the sender's largest send buffer plus the (doubled)
// receive buffer.
size_t KernelBufferBound(int receive_buffer) {
  std::ifstream wmem("/proc/sys/net/ipv4/tcp_wmem");
  size_t min = 0, def = 0, max = 4 << 20;
  wmem >> min >> def >> max;
  return max + 2 * static_cast<size_t>(receive_buffer);
}

class HttpStreamingTest : public ::testing::Test {
 protected:
  HttpStreamingTest() {
    options_.port = 0;
    registry_.Describe({"synthetic_value", MetricKind::kGauge, "Made up.", ""});
    for (int i = 0; i < 4; ++i) {
      EXPECT_TRUE(registry_.Intern("synthetic_value", {{"series", std::to_string(i)}}).ok());
    }
  }

  void StartServer() {
    server_ = std::make_unique<ApiServer>(registry_, store_, options_);
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    port_ = server_->port();
  }

  // The export of `series` over [from, to] as the writer makes it, fed
  // straight from the synthetic formula.
  std::string Expected(HistoryFormat format, int series, TimestampMs from, TimestampMs to) const {
    std::string out;
    std::unique_ptr<HistoryWriter> writer =
        MakeHistoryWriter(format, [&out](std::string_view text) { out.append(text); });
    std::optional<MetricMeta> meta = registry_.Meta("synthetic_value");
    for (SeriesId id = 0; id < static_cast<SeriesId>(series); ++id) {
      EXPECT_TRUE(writer->BeginSeries(registry_.Key(id), &*meta).ok());
      for (TimestampMs t = from; t <= to; t += 1000) {
        EXPECT_TRUE(writer->AddSample({t, SyntheticStore::ValueAt(id, t, 1000)}).ok());
      }
    }
    writer->Finish();
    return out;
  }

  static std::string ExportTarget(const std::string& selector, TimestampMs from, TimestampMs to,
                                  const std::string& format = "csv") {
    return "/api/v1/export?metric=" + selector + "&from=" + std::to_string(from) +
           "&to=" + std::to_string(to) + "&format=" + format;
  }

  SeriesRegistry registry_;
  SyntheticStore store_;
  ApiOptions options_;
  std::unique_ptr<ApiServer> server_;
  uint16_t port_ = 0;
};

TEST_F(HttpStreamingTest, AMultiMegabyteExportArrivesChunkedAndEqualToTheWritersOutput) {
  StartServer();
  const TimestampMs to = kT0 + 6 * kHourMs;
  RawConnection client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Get(ExportTarget("synthetic_value", kT0, to))));
  std::string raw;
  ASSERT_TRUE(client.ReadToEnd(raw, seconds(60)));
  RawResponse r = ParseRaw(raw);
  EXPECT_TRUE(r.head.starts_with("HTTP/1.1 200 OK")) << r.head;
  EXPECT_NE(r.head.find("Content-Type: text/csv; charset=utf-8; header=present"), std::string::npos)
      << r.head;
  EXPECT_NE(r.head.find("Content-Disposition: attachment; filename=\"perfwatch-export.csv\""),
            std::string::npos);
  EXPECT_EQ(r.head.find("Content-Length"), std::string::npos) << r.head;
  EXPECT_TRUE(r.complete);
  std::string expected = Expected(HistoryFormat::kCsv, 4, kT0, to);
  ASSERT_GT(expected.size(), 4u << 20);
  EXPECT_EQ(r.body.size(), expected.size());
  EXPECT_TRUE(r.body == expected);
  // One chunk per writer piece of about 64 KiB.
  EXPECT_GE(r.chunks, expected.size() / (80 << 10));
}

TEST_F(HttpStreamingTest, KeepsTheConnectionForTheNextRequestAfterAStreamedBody) {
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  const TimestampMs to = kT0 + kHourMs;
  Result<ClientResponse> r =
      client.Request("GET", ExportTarget("synthetic_value%7Bseries%3D%222%22%7D", kT0, to, "json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Transfer-Encoding"), "chunked");
  std::string all_json = Expected(HistoryFormat::kJson, 3, kT0, to);
  json doc = json::parse(r->body);
  ASSERT_EQ(doc["series"].size(), 1u);
  EXPECT_EQ(doc["series"][0], json::parse(all_json)["series"][2]);
  Result<ClientResponse> next = client.Request("GET", "/api/v1/health");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpStreamingTest, ASlowReaderHoldsProductionBackToWhatTheKernelBuffers) {
  StartServer();
  constexpr int kReceiveBuffer = 16 << 10;
  // A month of one series: ~130 MB of CSV, far more than any socket buffers.
  const TimestampMs to = kT0 + 30 * 24 * kHourMs;
  RawConnection client(port_, kReceiveBuffer);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Get(ExportTarget("synthetic_value%7Bseries%3D%220%22%7D", kT0, to))));
  std::string raw;
  client.ReadUntil(raw, 256 << 10, seconds(10));
  ASSERT_EQ(raw.size(), 256u << 10);

  // The client stops reading: the server fills the socket buffers and waits.
  std::this_thread::sleep_for(milliseconds(1000));
  int64_t stalled = store_.points.load();
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(store_.points.load(), stalled) << "production went on while the client read nothing";
  // Beyond what the client read and the kernel holds: a few 64 KiB pieces
  // and the one hour of samples the export reads at a time.
  const size_t slack = KernelBufferBound(kReceiveBuffer) + 4 * (64 << 10) + 3600 * kMinCsvLine;
  EXPECT_LE(static_cast<size_t>(stalled) * kMinCsvLine, raw.size() + slack)
      << stalled << " samples produced for " << raw.size() << " bytes read";

  // Reading again lets production resume.
  client.ReadUntil(raw, raw.size() + (8 << 20), seconds(20));
  EXPECT_GT(store_.points.load(), stalled);
  EXPECT_FALSE(client.closed());
}

TEST_F(HttpStreamingTest, AStoreFailureMidStreamEndsTheTransferWithoutTheLastChunk) {
  StartServer();
  store_.fail_after = 5;  // five hours of series 0, then the disk breaks
  const TimestampMs to = kT0 + 24 * kHourMs;
  RawConnection client(port_);
  ASSERT_TRUE(client.Send(Get(ExportTarget("synthetic_value", kT0, to))));
  std::string raw;
  ASSERT_TRUE(client.ReadToEnd(raw, seconds(20)));
  RawResponse r = ParseRaw(raw);
  EXPECT_TRUE(r.head.starts_with("HTTP/1.1 200 OK")) << r.head;
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(raw.find("\r\n0\r\n\r\n"), std::string::npos);
  std::string expected = Expected(HistoryFormat::kCsv, 4, kT0, to);
  EXPECT_GT(r.body.size(), 5 * 3600 * kMinCsvLine - (64 << 10));
  EXPECT_LT(r.body.size(), expected.size());
  EXPECT_TRUE(expected.starts_with(r.body));
}

TEST_F(HttpStreamingTest, AStoreFailureBeforeTheFirstPieceIsAJsonError) {
  StartServer();
  store_.fail_after = 0;
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  Result<ClientResponse> r = client.Request("GET", ExportTarget("synthetic_value", kT0, kT0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(json::parse(r->body)["error"], "synthetic store failed on purpose");
  Result<ClientResponse> next = client.Request("GET", "/api/v1/health");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpStreamingTest, HeadSendsTheHeadersWithoutProducingTheBody) {
  StartServer();
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_).ok());
  Result<ClientResponse> r =
      client.Request("HEAD", ExportTarget("synthetic_value", kT0, kT0 + kHourMs, "openmetrics"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->Header("Content-Type"), ContentType(HistoryFormat::kOpenMetrics));
  EXPECT_EQ(r->Header("Content-Disposition"), "attachment; filename=\"perfwatch-export.om\"");
  EXPECT_EQ(r->Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(store_.queries.load(), 0);
  Result<ClientResponse> next = client.Request("GET", "/api/v1/health");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpStreamingTest, AClientThatStopsReadingIsDroppedAfterTheTimeout) {
  options_.idle_timeout = seconds(1);
  StartServer();
  constexpr int kReceiveBuffer = 16 << 10;
  const TimestampMs to = kT0 + 30 * 24 * kHourMs;
  RawConnection client(port_, kReceiveBuffer);
  ASSERT_TRUE(client.Send(Get(ExportTarget("synthetic_value", kT0, to))));
  std::this_thread::sleep_for(seconds(3));
  int64_t produced = store_.points.load();
  std::string raw;
  // What the kernel still holds arrives, then the end: the server gave up.
  EXPECT_TRUE(client.ReadToEnd(raw, seconds(20)));
  EXPECT_FALSE(ParseRaw(raw).complete);
  EXPECT_LT(raw.size(), KernelBufferBound(kReceiveBuffer) + (1 << 20));
  EXPECT_EQ(store_.points.load(), produced);
}

TEST_F(HttpStreamingTest, AnHttp10ClientGetsTheBodyEndedByTheClose) {
  StartServer();
  const TimestampMs to = kT0 + kHourMs;
  RawConnection client(port_);
  ASSERT_TRUE(client.Send(Get(ExportTarget("synthetic_value", kT0, to), "HTTP/1.0")));
  std::string raw;
  ASSERT_TRUE(client.ReadToEnd(raw, seconds(20)));
  RawResponse r = ParseRaw(raw);
  EXPECT_TRUE(r.head.starts_with("HTTP/1.0 200 OK")) << r.head;
  EXPECT_EQ(r.head.find("Transfer-Encoding"), std::string::npos) << r.head;
  EXPECT_EQ(r.head.find("Content-Length"), std::string::npos) << r.head;
  EXPECT_TRUE(r.body == Expected(HistoryFormat::kCsv, 4, kT0, to));
}

}  // namespace
}  // namespace perfwatch::apitest

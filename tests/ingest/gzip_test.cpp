#include "ingest/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace perfwatch {
namespace {

// `text` compressed with zlib's deflate: gzip framing, or zlib framing.
std::string Compress(std::string_view text, bool gzip = true) {
  Result<std::string> z =
      Deflate(text, gzip ? ContentCoding::kGzip : ContentCoding::kDeflate, Z_BEST_COMPRESSION);
  EXPECT_TRUE(z.ok());
  return z.ok() ? *z : std::string();
}

TEST(ContentEncoding, NamesTheCodingsPerfwatchInflates) {
  EXPECT_EQ(ParseContentEncoding(""), ContentCoding::kIdentity);
  EXPECT_EQ(ParseContentEncoding("identity"), ContentCoding::kIdentity);
  EXPECT_EQ(ParseContentEncoding(" GZip "), ContentCoding::kGzip);
  EXPECT_EQ(ParseContentEncoding("x-gzip"), ContentCoding::kGzip);
  EXPECT_EQ(ParseContentEncoding("deflate"), ContentCoding::kDeflate);
  EXPECT_FALSE(ParseContentEncoding("br").has_value());
  EXPECT_FALSE(ParseContentEncoding("gzip, deflate").has_value());
}

TEST(Inflate, RoundTripsGzipAndZlib) {
  std::string text;
  for (int i = 0; i < 10000; ++i)
    text += "http_requests_total{code=\"200\"} " + std::to_string(i) + "\n";
  std::string out;
  ASSERT_TRUE(Inflate(Compress(text), ContentCoding::kGzip, 1 << 20, &out).ok());
  EXPECT_EQ(out, text);
  ASSERT_TRUE(Inflate(Compress(text, false), ContentCoding::kDeflate, 1 << 20, &out).ok());
  EXPECT_EQ(out, text);
}

TEST(Inflate, ReadsConcatenatedGzipMembers) {
  std::string out;
  ASSERT_TRUE(Inflate(Compress("a 1\n") + Compress("b 2\n"), ContentCoding::kGzip, 100, &out).ok());
  EXPECT_EQ(out, "a 1\nb 2\n");
}

TEST(Inflate, AnEmptyBodyStaysEmptyWithoutCompression) {
  std::string out = "junk";
  ASSERT_TRUE(Inflate("", ContentCoding::kIdentity, 10, &out).ok());
  EXPECT_EQ(out, "");
}

TEST(Inflate, RefusesCorruptTruncatedAndTrailingBytes) {
  const std::string good = Compress("some metrics 1\n");
  std::string out;
  Status s = Inflate("this is not gzip", ContentCoding::kGzip, 1000, &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x55;
  flipped[flipped.size() - 3] ^= 0x55;  // the CRC or length, whichever the flip left intact
  EXPECT_EQ(Inflate(flipped, ContentCoding::kGzip, 1000, &out).code(),
            Status::Code::kInvalidArgument);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(Inflate(good.substr(0, n), ContentCoding::kGzip, 1000, &out).code(),
              Status::Code::kInvalidArgument)
        << "prefix of " << n << " bytes";
  }
  EXPECT_EQ(Inflate(good + "xyz", ContentCoding::kGzip, 1000, &out).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(Inflate(Compress("x", false) + "z", ContentCoding::kDeflate, 1000, &out).code(),
            Status::Code::kInvalidArgument);
}

TEST(Inflate, StopsABombAtTheCap) {
  // 64 MiB of zeros compress to about 64 KiB.
  const std::string bomb = Compress(std::string(64 << 20, '\0'));
  ASSERT_LT(bomb.size(), 100u << 10);
  std::string out;
  Status s = Inflate(bomb, ContentCoding::kGzip, 1 << 20, &out);
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted) << s.ToString();
  EXPECT_LE(out.capacity(), (2u << 20) + 64);
  // Exactly at the cap is fine.
  std::string at_cap(1000, 'x');
  ASSERT_TRUE(Inflate(Compress(at_cap), ContentCoding::kGzip, 1000, &out).ok());
  EXPECT_EQ(out.size(), 1000u);
  EXPECT_EQ(Inflate(Compress(at_cap + "y"), ContentCoding::kGzip, 1000, &out).code(),
            Status::Code::kResourceExhausted);
  EXPECT_EQ(Inflate(at_cap + "y", ContentCoding::kIdentity, 1000, &out).code(),
            Status::Code::kResourceExhausted);
}

}  // namespace
}  // namespace perfwatch

#include "query/lexer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace perfwatch {
namespace {

std::vector<Token> LexAll(std::string_view text) {
  Lexer lexer(text);
  std::vector<Token> out;
  while (true) {
    Result<Token> t = lexer.Next();
    EXPECT_TRUE(t.ok()) << t.status().message();
    if (!t.ok() || t->kind == Token::Kind::kEnd) return out;
    out.push_back(*t);
  }
}

std::string LexError(std::string_view text) {
  Lexer lexer(text);
  while (true) {
    Result<Token> t = lexer.Next();
    if (!t.ok()) return t.status().message();
    if (t->kind == Token::Kind::kEnd) return "";
  }
}

TEST(Lexer, ReadsNumbersInEveryPromqlSpelling) {
  struct Case {
    const char* text;
    double value;
  } cases[] = {{"42", 42},   {"1e3", 1000},     {"2.5E-1", 0.25},  {".5", 0.5},
               {"0x1f", 31}, {"Inf", INFINITY}, {"inf", INFINITY}, {"1.", 1}};
  for (const Case& c : cases) {
    std::vector<Token> t = LexAll(c.text);
    ASSERT_EQ(t.size(), 1u) << c.text;
    EXPECT_EQ(t[0].kind, Token::Kind::kNumber) << c.text;
    EXPECT_EQ(t[0].number, c.value) << c.text;
  }
  std::vector<Token> nan = LexAll("NaN");
  ASSERT_EQ(nan.size(), 1u);
  EXPECT_TRUE(std::isnan(nan[0].number));
}

TEST(Lexer, GivesOperatorsAndColumns) {
  std::vector<Token> t = LexAll("a{b=~\"c\"} >= bool 2");
  ASSERT_EQ(t.size(), 9u);
  EXPECT_EQ(t[0].kind, Token::Kind::kIdentifier);
  EXPECT_EQ(t[2].kind, Token::Kind::kIdentifier);
  EXPECT_EQ(t[3].kind, Token::Kind::kRegexMatch);
  EXPECT_EQ(t[3].column, 4);
  EXPECT_EQ(t[4].kind, Token::Kind::kString);
  EXPECT_EQ(t[4].text, "c");
  EXPECT_EQ(t[6].kind, Token::Kind::kGe);
  EXPECT_EQ(t[6].column, 11);
  EXPECT_EQ(t[7].text, "bool");
  EXPECT_EQ(t[8].column, 19);
}

TEST(Lexer, DecodesStringEscapesAndLeavesRawStringsAlone) {
  EXPECT_EQ(LexAll(R"("a\"b\\c\n\x41\u00e9")")[0].text, "a\"b\\c\nA\xc3\xa9");
  EXPECT_EQ(LexAll("'it\\'s'")[0].text, "it's");
  EXPECT_EQ(LexAll(R"(`\d+`)")[0].text, R"(\d+)");
}

TEST(Lexer, RejectsBadTokensWithTheirColumn) {
  EXPECT_EQ(LexError("x > 5m"),
            "column 5: expected a number, found '5m' (durations belong "
            "inside [...] or after offset)");
  EXPECT_EQ(LexError("a{b=\"c}"), "column 5: unterminated string, expected closing \"");
  EXPECT_EQ(LexError("a{b=\"\\d\"}"),
            "column 6: unknown escape sequence '\\d' in string (write "
            "'\\\\' for a backslash)");
  EXPECT_EQ(LexError("a $ b"), "column 3: unexpected character '$'");
}

TEST(Lexer, SkipsComments) {
  std::vector<Token> t = LexAll("a # comment\n+ b");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[2].text, "b");
}

TEST(QueryDuration, ParsesCompoundDurationsInPromqlOrder) {
  EXPECT_EQ(*ParseQueryDuration("30s"), 30'000);
  EXPECT_EQ(*ParseQueryDuration("1m30s"), 90'000);
  EXPECT_EQ(*ParseQueryDuration("1h"), 3'600'000);
  EXPECT_EQ(*ParseQueryDuration("250ms"), 250);
  EXPECT_EQ(*ParseQueryDuration("1d"), 86'400'000);
  EXPECT_EQ(*ParseQueryDuration("2w"), 14 * 86'400'000LL);
  EXPECT_EQ(*ParseQueryDuration("1y"), 365 * 86'400'000LL);
  EXPECT_EQ(*ParseQueryDuration("1h1ms"), 3'600'001);
}

TEST(QueryDuration, RefusesUnitsOutOfOrderUnknownOrMissing) {
  EXPECT_FALSE(ParseQueryDuration("30s1m").ok());
  EXPECT_FALSE(ParseQueryDuration("1m1m").ok());
  EXPECT_FALSE(ParseQueryDuration("5x").ok());
  EXPECT_FALSE(ParseQueryDuration("30").ok());
  EXPECT_FALSE(ParseQueryDuration("m").ok());
  EXPECT_FALSE(ParseQueryDuration("").ok());
  EXPECT_FALSE(ParseQueryDuration("99999999999999999999y").ok());
}

}  // namespace
}  // namespace perfwatch

#pragma once
// Lexer: splits an expression into tokens on demand, one at a time, so the
// parser can ask for a duration where PromQL expects one ("[5m]", "offset
// 1h") and a plain token everywhere else. Private to query/. Not
// thread-safe; `text` must outlive the lexer.

#include <cstdint>
#include <string>
#include <string_view>

#include "model/status.h"

namespace perfwatch {

struct Token {
  enum class Kind {
    kEnd,
    kIdentifier,  // metric, label, function or keyword; may hold ':'
    kNumber,      // also Inf and NaN, any case
    kString,      // `text` holds the decoded value
    kDuration,    // only from Lexer::NextDuration
    kLeftParen,
    kRightParen,
    kLeftBrace,
    kRightBrace,
    kLeftBracket,
    kRightBracket,
    kComma,
    kColon,
    kAt,
    kAssign,  // =
    kEq,
    kNe,
    kRegexMatch,
    kRegexNoMatch,
    kGt,
    kLt,
    kGe,
    kLe,
    kAdd,
    kSub,
    kMul,
    kDiv,
    kMod,
    kPow,
  };
  Kind kind = Kind::kEnd;
  int column = 1;    // 1-based column of the first character
  std::string text;  // the source text, or the decoded value of a string
  double number = 0;
  int64_t duration_ms = 0;
};

// How a token reads in an error message: "'('", "identifier 'foo'",
// "number 5", "end of input".
std::string DescribeToken(const Token& token);

// Parses a PromQL duration: one or more <integer><unit> with units in
// decreasing order (y w d h m s ms), e.g. "1m30s". Milliseconds; the error
// says what was wrong, without a column.
Result<int64_t> ParseQueryDuration(std::string_view text);

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next token; errors carry the column ("column 4: ...").
  Result<Token> Next();
  // The next token read as a duration ("5m", "1h30m").
  Result<Token> NextDuration();

 private:
  void SkipSpace();
  Result<Token> Number(int column);
  Result<Token> String(int column);
  Result<Token> Operator(int column);
  Status Error(size_t pos, const std::string& what) const;

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace perfwatch

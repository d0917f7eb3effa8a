#include "interchange/iso8601.h"

#include <string>

namespace perfwatch {
namespace {

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at text[*pos]; false if any is not a digit.
bool ReadDigits(std::string_view text, size_t* pos, size_t n, int* value) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *value = v;
  return true;
}

Status Bad(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid ISO 8601 time \"" + std::string(text) +
                                 "\": " + std::string(why));
}

// Parses "Z", "+hh", "+hhmm" or "+hh:mm" at text[*pos] into minutes east.
bool ReadOffset(std::string_view text, size_t* pos, int* minutes) {
  char c = text[*pos];
  if (c == 'Z' || c == 'z') {
    ++*pos;
    *minutes = 0;
    return true;
  }
  if (c != '+' && c != '-') return false;
  int sign = c == '-' ? -1 : 1;
  ++*pos;
  int hh = 0;
  int mm = 0;
  if (!ReadDigits(text, pos, 2, &hh)) return false;
  if (*pos < text.size()) {
    if (text[*pos] == ':') ++*pos;
    if (!ReadDigits(text, pos, 2, &mm)) return false;
  }
  if (hh > 23 || mm > 59) return false;
  *minutes = sign * (hh * 60 + mm);
  return true;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);                 // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Result<TimestampMs> ParseIso8601(std::string_view text, int naive_offset_minutes) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!ReadDigits(text, &pos, 4, &year) || pos >= text.size() || text[pos++] != '-' ||
      !ReadDigits(text, &pos, 2, &month) || pos >= text.size() || text[pos++] != '-' ||
      !ReadDigits(text, &pos, 2, &day)) {
    return Bad(text, "expected a date YYYY-MM-DD");
  }
  if (month < 1 || month > 12) return Bad(text, "month out of range");
  if (day < 1 || static_cast<unsigned>(day) > DaysInMonth(year, month)) {
    return Bad(text, "day out of range");
  }
  int hour = 0, minute = 0, second = 0, millis = 0;
  int offset = naive_offset_minutes;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') {
      return Bad(text, "expected 'T' after the date");
    }
    ++pos;
    if (!ReadDigits(text, &pos, 2, &hour) || pos >= text.size() || text[pos++] != ':' ||
        !ReadDigits(text, &pos, 2, &minute)) {
      return Bad(text, "expected a time hh:mm");
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadDigits(text, &pos, 2, &second)) return Bad(text, "expected seconds after ':'");
    }
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      size_t digits = 0;
      for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
        if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      }
      if (digits == 0) return Bad(text, "expected digits after the decimal point");
      for (; digits < 3; ++digits) millis *= 10;
    }
    if (hour > 23 || minute > 59 || second > 59) return Bad(text, "time out of range");
    if (pos < text.size()) {
      if (!ReadOffset(text, &pos, &offset)) {
        return Bad(text, "expected an offset Z, +hh:mm, +hhmm or +hh");
      }
    }
    if (pos != text.size()) return Bad(text, "unexpected text after the time");
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - int64_t{offset} * 60;
  return seconds * 1000 + millis;
}

}  // namespace perfwatch

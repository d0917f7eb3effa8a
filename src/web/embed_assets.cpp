// pw_embed_assets DIST OUT.cpp: the build-time tool that turns the bundled
// dashboard (every file under DIST, as web/build.mjs wrote it) into a C++
// source defining web::AllAssets() (assets.h). Runs on the build host before
// pw_web compiles.
//
// The output depends only on the files' relative paths and bytes (and the
// zlib version): gzip headers carry no name and mtime 0, and files are
// listed in path order, so the same dist gives the same source.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/gzip.h"

namespace {

namespace fs = std::filesystem;
using perfwatch::ContentCoding;
using perfwatch::Deflate;
using perfwatch::Result;

struct FileEntry {
  std::string path;  // URL path, "/assets/app-X.js"
  std::string_view content_type;
  std::string bytes;
};

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "pw_embed_assets: " << message << '\n';
  std::exit(1);
}

// Only types the dashboard has a use for: anything else in dist is a build
// mistake (a source map, a stray file) rather than something to serve.
std::optional<std::string_view> ContentTypeOf(std::string_view extension) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".ico", "image/x-icon"},
      {".png", "image/png"},
      {".woff2", "font/woff2"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (ext == extension) return type;
  }
  return std::nullopt;
}

// The path becomes a URL matched byte for byte and a C++ string literal, so
// it is kept to characters that need no escaping in either.
bool IsPlainPath(std::string_view path) {
  return std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '/';
  });
}

std::string ReadFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) Fail("cannot read " + file.string());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

FileEntry LoadEntry(const fs::path& dist, const fs::directory_entry& entry) {
  const std::string relative = entry.path().lexically_relative(dist).generic_string();
  if (!entry.is_regular_file() || entry.is_symlink()) {
    Fail(relative + ": not a regular file (dist must hold plain files only)");
  }
  if (!IsPlainPath(relative) || relative.find("..") != std::string::npos) {
    Fail(relative + ": file names may use only A-Z a-z 0-9 - _ . and /");
  }
  std::optional<std::string_view> type = ContentTypeOf(entry.path().extension().string());
  if (!type) {
    Fail(relative + ": unknown extension '" + entry.path().extension().string() +
         "' (known: .html .js .css .svg .json .txt .ico .png .woff2; add it in embed_assets.cpp)");
  }
  return FileEntry{"/" + relative, *type, ReadFile(entry.path())};
}

std::vector<FileEntry> LoadDist(const fs::path& dist) {
  std::error_code ec;
  if (!fs::is_directory(dist, ec)) Fail(dist.string() + " is not a directory");
  std::vector<FileEntry> files;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dist)) {
    if (entry.is_directory() && !entry.is_symlink()) continue;
    files.push_back(LoadEntry(dist, entry));
  }
  std::sort(files.begin(), files.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  const bool has_index = std::any_of(files.begin(), files.end(),
                                     [](const FileEntry& f) { return f.path == "/index.html"; });
  if (!has_index) Fail(dist.string() + " has no index.html (the page served at /)");
  return files;
}

std::string Gzip(std::string_view bytes) {
  Result<std::string> gz = Deflate(bytes, ContentCoding::kGzip, 9);
  if (!gz.ok()) Fail(gz.status().message());
  return std::move(*gz);
}

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string Hex16(uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

// Binary as a C++ string literal split over lines: printable bytes as they
// are, the rest as three-digit octal escapes (which, unlike \x, never run
// into the next character). GCC compiles this much faster than a brace list
// of integers.
std::string StringLiteral(std::string_view bytes) {
  std::string out = "\"";
  size_t line = 0;
  for (unsigned char c : bytes) {
    if (line >= 96) {
      out += "\"\n    \"";
      line = 0;
    }
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
      out += static_cast<char>(c);
      ++line;
    } else {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\%03o", c);
      out += esc;
      line += 4;
    }
  }
  return out + "\"";
}

std::string GenerateSource(const std::vector<FileEntry>& files, size_t* gzip_total) {
  std::string data, table;
  *gzip_total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const FileEntry& f = files[i];
    const std::string gz = Gzip(f.bytes);
    *gzip_total += gz.size();
    const std::string name = "kGzip" + std::to_string(i);
    const std::string tag = Hex16(Fnv1a64(f.bytes));
    data += "// " + f.path + "\nconstexpr char " + name + "[] =\n    " + StringLiteral(gz) + ";\n";
    table += "    {\"" + f.path + "\", \"" + std::string(f.content_type) + "\", {" + name +
             ", sizeof " + name + " - 1}, \"\\\"" + tag + "\\\"\", \"\\\"" + tag + "-gzip\\\"\", " +
             std::to_string(f.bytes.size()) + ", " +
             (f.path.starts_with("/assets/") ? "true" : "false") + "},\n";
  }
  return "// Generated by pw_embed_assets (src/web/embed_assets.cpp) from the web/ build. Do not "
         "edit.\n#include \"web/assets.h\"\n\nnamespace perfwatch::web {\nnamespace {\n\n" +
         data + "\nconstexpr Asset kAssets[] = {\n" + table +
         "};\n\n}  // namespace\n\nstd::span<const Asset> AllAssets() { return kAssets; }\n\n"
         "}  // namespace perfwatch::web\n";
}

// Through a temporary and a rename, so an interrupted build never leaves a
// half-written source that looks up to date.
void WriteAtomically(const fs::path& out, const std::string& text) {
  const fs::path tmp = out.string() + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << text;
    if (!file.flush()) Fail("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, out, ec);
  if (ec) Fail("cannot rename " + tmp.string() + " to " + out.string() + ": " + ec.message());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) Fail("usage: pw_embed_assets DIST_DIR OUTPUT.cpp");
  const std::vector<FileEntry> files = LoadDist(argv[1]);
  size_t raw_total = 0, gzip_total = 0;
  for (const FileEntry& f : files) raw_total += f.bytes.size();
  WriteAtomically(argv[2], GenerateSource(files, &gzip_total));
  std::cout << "pw_embed_assets: " << files.size() << " files, " << raw_total << " bytes, "
            << gzip_total << " bytes gzipped\n";
  return 0;
}

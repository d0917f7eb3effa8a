#pragma once
// The dashboard's files (web/, bundled by web/build.mjs), embedded in the
// binary at build time by embed_assets.cpp, so perfwatch serves them with no
// file on disk. Each is stored gzipped (level 9) with what the server needs
// to answer for it: its content type, its ETags and whether its name carries
// a content hash (immutable).
//
// The table is static and immutable: every pointer, view and span returned
// here refers to constant data that lives as long as the program, and may be
// read from any thread.

#include <cstddef>
#include <span>
#include <string_view>

namespace perfwatch::web {

struct Asset {
  std::string_view path;          // URL path: "/index.html", "/assets/app-3F2A.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view gzip;          // the file gzipped: one member, no name, mtime 0
  // Quoted strong entity tags of the identity and the gzip representation,
  // from a 64-bit FNV-1a hash of the file's bytes: "\"9ab0…\"", "\"9ab0…-gzip\"".
  std::string_view etag;
  std::string_view etag_gzip;
  size_t size = 0;         // bytes of the file itself (uncompressed)
  bool immutable = false;  // under /assets/: the name changes whenever the bytes do
};

// Every embedded file, sorted by path.
std::span<const Asset> AllAssets();

// The asset whose path is exactly `path` ("/index.html"; no normalisation,
// so "/x/../index.html" is not found), or nullptr.
const Asset* FindAsset(std::string_view path);

}  // namespace perfwatch::web

#pragma once
// Text for HTML and SVG documents: the one escaping function of the HTML
// report (analysis/) and the bench report (bench/). Pure; thread-safe.

#include <string>
#include <string_view>

namespace perfwatch::html {

// `text` as HTML character data or a quoted attribute value: & < > " '
// become entities, every byte sequence that is not valid UTF-8 (overlong,
// surrogate, past U+10FFFF, cut short) and every C0 control but tab, line
// feed and carriage return becomes U+FFFD. The one escaping function every
// string from the data goes through.
std::string Escape(std::string_view text);

}  // namespace perfwatch::html

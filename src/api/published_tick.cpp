#include "api/published_tick.h"

#include "api/exposition.h"
#include "api/json_render.h"

namespace perfwatch {

const std::string& PublishedTick::Json() const {
  std::call_once(json_once_, [this] { json_ = RenderTickJson(*tick_); });
  return json_;
}

const std::string& PublishedTick::Exposition() const {
  std::call_once(exposition_once_, [this] { exposition_ = RenderExposition(*tick_); });
  return exposition_;
}

}  // namespace perfwatch

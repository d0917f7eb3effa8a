#include "api/published_tick.h"

#include "api/exposition.h"
#include "api/json_render.h"

namespace perfwatch {

const std::string& PublishedTick::Json() const {
  std::call_once(json_once_, [this] { json_ = WithStatus(RenderTickJson(*tick_)); });
  return json_;
}

std::string PublishedTick::WithStatus(std::string tick_json) const {
  if (status_json_.empty() || tick_json.empty() || tick_json.back() != '}') return tick_json;
  tick_json.pop_back();
  tick_json += ",\"status\":";
  tick_json += status_json_;
  tick_json += '}';
  return tick_json;
}

const std::string& PublishedTick::Exposition() const {
  std::call_once(exposition_once_, [this] { exposition_ = RenderExposition(*tick_); });
  return exposition_;
}

}  // namespace perfwatch

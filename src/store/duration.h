#pragma once
// ParseDuration lives in model/duration.h, since config parses durations
// too; this header keeps the name the API's step= parsing includes.

#include "model/duration.h"  // IWYU pragma: export

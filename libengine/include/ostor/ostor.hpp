// ostor engine: include this one header to embed the engine.
#pragma once

#include "ostor/admin_format.hpp"
#include "ostor/admin_targets.hpp"
#include "ostor/engine.hpp"
#include "ostor/error.hpp"
#include "ostor/names.hpp"
#include "ostor/types.hpp"

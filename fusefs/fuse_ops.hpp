// The admin tree as libfuse high-level operations. The filesystem's private
// data (fuse_new's user_data) is a std::unique_ptr<ostor::fs::Tree>*, filled
// before the loop starts (the engine is opened after daemonizing).
#pragma once

#define FUSE_USE_VERSION 31
#include <fuse.h>

namespace ostor::fs {

fuse_operations admin_tree_operations();

}  // namespace ostor::fs

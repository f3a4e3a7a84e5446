// The RADOS blob store's writer and reads (blob_store.hpp says the layout
// and the rules); internal to rados/.
#pragma once

#include <memory>
#include <vector>

#include "rados/blob_store.hpp"

namespace ostor::detail::rados {

std::unique_ptr<BlobWriter> make_blob_writer(RadosBlobStore& store);
// The reads of `extents`, whose objects were checked to exist.
std::unique_ptr<BlobReads> make_blob_reads(Client& client);

}  // namespace ostor::detail::rados

// Buckets: creation, lookup, listing, deletion.
#include "engine_impl.hpp"
#include "ostor/names.hpp"
#include "versions/object_lock.hpp"

namespace ostor {

using namespace detail;

namespace {

Result<void> validate_bucket_config(std::string_view kind, const std::string& document) {
    if (kind.empty()) return Error(Errc::InvalidArgument, "no bucket configuration kind given");
    if (document.size() > kMaxBucketConfigBytes)
        return Error(Errc::InvalidArgument, "a bucket's " + std::string(kind) + " configuration is " +
                                                std::to_string(document.size()) + " bytes, more than the " +
                                                std::to_string(kMaxBucketConfigBytes) + " allowed");
    return {};
}

}  // namespace

Result<Bucket> Engine::create_bucket(std::string_view name, std::string_view owner_id, std::string_view account,
                                     std::string_view acl) {
    BucketCreateOptions options;
    options.acl = acl;
    return create_bucket(name, owner_id, account, options);
}

Result<Bucket> Engine::create_bucket(std::string_view name, std::string_view owner_id, std::string_view account,
                                     const BucketCreateOptions& options) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(validate_bucket_name(name));
    for (const auto& [kind, document] : options.configs) OSTOR_TRY(validate_bucket_config(kind, document));
    return impl_->objects->create_bucket(name, owner_id, account, options);
}

Result<Bucket> Engine::get_bucket(std::string_view name) { return impl_->objects->get_bucket(name); }

Result<Bucket> Engine::get_bucket_record(std::string_view name) { return impl_->objects->get_bucket_record(name); }

Result<Bucket> Engine::get_bucket_record_afresh(std::string_view name) {
    return impl_->objects->get_bucket_record_afresh(name);
}

Result<std::vector<Bucket>> Engine::list_buckets(const BucketFilter& filter) {
    return impl_->objects->list_buckets(filter);
}

Result<void> Engine::delete_bucket(std::string_view name) {
    OSTOR_TRY(check_may_commit(*impl_));
    FreedExtents freed;
    auto r = impl_->objects->delete_bucket(name, freed);
    // Its record, limits and quota went with it (a new bucket of the name
    // starts without), or may have: announced whatever it returned.
    const std::string subject = bucket_subject(name);
    impl_->notifier->changed(
        {{ChangeKind::Bucket, subject}, {ChangeKind::Limits, subject}, {ChangeKind::Quotas, subject}});
    if (!r) return r;
    impl_->blobs->release(freed);
    return r;
}

Result<Bucket> Engine::set_bucket_acl(std::string_view name, std::string_view acl) {
    OSTOR_TRY(check_may_commit(*impl_));
    auto b = impl_->objects->set_bucket_acl(name, acl);
    impl_->notifier->changed(ChangeKind::Bucket, bucket_subject(name));  // whatever it returned: it may have landed
    return b;
}

Result<Bucket> Engine::set_bucket_config(std::string_view name, std::string_view kind,
                                         std::optional<std::string> document) {
    OSTOR_TRY(check_may_commit(*impl_));
    if (kind.empty()) return Error(Errc::InvalidArgument, "no bucket configuration kind given");
    if (document) OSTOR_TRY(validate_bucket_config(kind, *document));
    auto b = impl_->objects->set_bucket_config(name, kind, document);
    impl_->notifier->changed(ChangeKind::Bucket, bucket_subject(name));  // whatever it returned: it may have landed
    return b;
}

Result<Bucket> Engine::set_bucket_versioning(std::string_view name, VersioningState state) {
    OSTOR_TRY(check_may_commit(*impl_));
    if (state != VersioningState::Enabled && state != VersioningState::Suspended)
        return Error(Errc::InvalidArgument, "a bucket's versioning can only be enabled or suspended");
    auto b = impl_->objects->set_bucket_versioning(name, state);
    impl_->notifier->changed(ChangeKind::Bucket, bucket_subject(name));  // whatever it returned: it may have landed
    return b;
}

Result<Bucket> Engine::set_object_lock_config(std::string_view name, const ObjectLockConfig& config) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(check_lock_config(config));
    auto b = impl_->objects->set_object_lock_config(name, config);
    impl_->notifier->changed(ChangeKind::Bucket, bucket_subject(name));  // whatever it returned: it may have landed
    return b;
}

}  // namespace ostor

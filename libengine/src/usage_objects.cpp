// Usage statistics objects: JSON documents the gateway writes per period.
// The engine checks names; the SettingsCatalog stores them.
#include "engine_impl.hpp"
#include "ostor/names.hpp"

namespace ostor {

using namespace detail;

Result<void> Engine::put_usage_object(std::string_view name, std::string_view content) {
    OSTOR_TRY(check_may_commit(*impl_));
    OSTOR_TRY(validate_usage_object_name(name));
    return impl_->settings->put_usage_object(name, content);
}

Result<UsageObjectList> Engine::list_usage_objects(std::string_view after, std::uint32_t max_items) {
    return impl_->settings->list_usage_objects(after, max_items);
}

Result<std::string> Engine::get_usage_object(std::string_view name) { return impl_->settings->get_usage_object(name); }

Result<void> Engine::delete_usage_object(std::string_view name) {
    OSTOR_TRY(check_may_commit(*impl_));
    return impl_->settings->delete_usage_object(name);
}

}  // namespace ostor

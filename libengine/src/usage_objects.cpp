// Usage statistics objects: JSON documents the gateway writes per period.
#include "engine_impl.hpp"
#include "ostor/names.hpp"

namespace ostor {

using namespace detail;

Result<void> Engine::put_usage_object(std::string_view name, std::string_view content) {
    OSTOR_TRY(validate_usage_object_name(name));
    return impl_->commits->run([&](Txn& txn) -> Result<void> {
        txn.put(Table::UsageObjects, name, content);
        return {};
    });
}

Result<UsageObjectList> Engine::list_usage_objects(std::string_view after, std::uint32_t max_items) {
    return impl_->read([&](const Txn& txn) -> Result<UsageObjectList> {
        UsageObjectList out;
        auto cur = txn.cursor(Table::UsageObjects);
        for (auto e = cur.seek(after); e; e = cur.next()) {
            if (!after.empty() && e->first <= after) continue;
            if (out.names.size() == max_items) {
                out.truncated = true;
                break;
            }
            out.names.emplace_back(e->first);
        }
        return out;
    });
}

Result<std::string> Engine::get_usage_object(std::string_view name) {
    return impl_->read([&](const Txn& txn) -> Result<std::string> {
        auto v = name.empty() ? std::nullopt : txn.get(Table::UsageObjects, name);
        if (!v) return Error(Errc::NoSuchUsageObject, "no usage statistics object " + std::string(name));
        return std::string(*v);
    });
}

Result<void> Engine::delete_usage_object(std::string_view name) {
    return impl_->commits->run([&](Txn& txn) -> Result<void> {
        if (name.empty() || !txn.del(Table::UsageObjects, name))
            return Error(Errc::NoSuchUsageObject, "no usage statistics object " + std::string(name));
        return {};
    });
}

}  // namespace ostor

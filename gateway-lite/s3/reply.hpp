// What a handler gives back: an answer or the error to answer. Handlers
// never write to the connection; the pipeline (pipeline.cpp) sends what they
// return, paces it and records it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "http.hpp"
#include "ostor/engine.hpp"
#include "s3_error.hpp"

namespace ostor::gw::s3 {

// A value, or the S3 error that took its place. Engine errors convert
// through the engine's table (S3Error's constructor).
template <class T>
class [[nodiscard]] Outcome {
public:
    Outcome(T value) : v_(std::move(value)) {}           // NOLINT: implicit, as Result's
    Outcome(S3Error error) : v_(std::move(error)) {}     // NOLINT
    Outcome(const Error& error) : v_(S3Error(error)) {}  // NOLINT
    explicit operator bool() const { return v_.index() == 0; }
    T& operator*() { return std::get<0>(v_); }
    const T& operator*() const { return std::get<0>(v_); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    const S3Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, S3Error> v_;
};

struct Answer {
    int status = 200;
    HeaderList headers;
    // Sent whole, with `content_type` when not empty (never for HEAD).
    std::string body;
    std::string content_type = "application/xml";  // owned: it outlives the handler
    // A streamed body instead (GetObject): read to its end, paced at the
    // bandwidth limits; `headers` then carry the Content-Type.
    std::unique_ptr<ObjectReader> stream;
};

using Reply = Outcome<Answer>;

inline Answer empty_answer(int status = 200, HeaderList headers = {}) {
    Answer a;
    a.status = status;
    a.headers = std::move(headers);
    return a;
}

inline Answer xml_answer(std::string body, HeaderList headers = {}) {
    Answer a;
    a.headers = std::move(headers);
    a.body = std::move(body);
    return a;
}

}  // namespace ostor::gw::s3

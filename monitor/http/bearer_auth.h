// Bearer-token authentication (RFC 6750) for the API, compared in constant time.
#pragma once

#include <optional>
#include <string_view>

#include "monitor/http/http_request.h"
#include "monitor/http/http_response.h"

namespace imawatch::http {

// a == b, in a time that depends on the lengths only, never on where the contents differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// nullopt when the request carries exactly one "Authorization: Bearer <token>" field with
// this token; else a 401 JSON response with WWW-Authenticate: Bearer. An empty `token`
// authorizes nobody.
std::optional<Response> RequireBearer(const Request& r, std::string_view token);

}  // namespace imawatch::http

// A setting in a YAML document (the kubelet's config.yaml) by dotted key path:
// "authentication.x509.clientCAFile", "featureGates.RotateKubeletServerCertificate".
#pragma once

#include <string>
#include <string_view>

#include "monitor/base/result.h"
#include "monitor/compliance/setting_value.h"

namespace imawatch::compliance {

// Unset if any step of the path is missing or null; an error with line and column if the
// document is not YAML or the value is a mapping.
Result<SettingValue> LookupYamlSetting(std::string_view yaml, const std::string& path,
                                       std::string_view dotted_key);

}  // namespace imawatch::compliance

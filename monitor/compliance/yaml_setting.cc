#include "monitor/compliance/yaml_setting.h"

#include <yaml-cpp/yaml.h>

namespace imawatch::compliance {

Result<SettingValue> LookupYamlSetting(std::string_view yaml, const std::string& path,
                                       std::string_view dotted_key) {
  try {
    YAML::Node node = YAML::Load(std::string(yaml));
    size_t pos = 0;
    while (pos <= dotted_key.size()) {
      size_t dot = dotted_key.find('.', pos);
      if (dot == std::string_view::npos) dot = dotted_key.size();
      std::string step(dotted_key.substr(pos, dot - pos));
      pos = dot + 1;
      if (!node.IsMap()) return SettingValue::Unset();
      YAML::Node next;
      bool found = false;
      for (auto it = node.begin(); it != node.end() && !found; ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == step) {
          next.reset(it->second);
          found = true;
        }
      }
      if (!found || next.IsNull()) return SettingValue::Unset();
      node.reset(next);  // rebind: assigning a Node would overwrite the tree
    }
    std::string origin = path + ":" + std::to_string(node.Mark().line + 1);
    if (node.IsScalar()) return SettingValue::Scalar(node.Scalar(), origin);
    if (node.IsSequence()) {
      SettingValue v = SettingValue::Scalar("", origin);
      v.is_list = true;
      for (const YAML::Node& item : node) {
        if (!item.IsScalar()) {
          return InvalidInput(std::string(dotted_key) + " holds a non-scalar list item",
                              {.source = path,
                               .line = static_cast<uint32_t>(item.Mark().line + 1),
                               .column = static_cast<uint32_t>(item.Mark().column + 1)});
        }
        v.text += (v.items.empty() ? "" : ",") + item.Scalar();
        v.items.push_back(item.Scalar());
      }
      return v;
    }
    return InvalidInput(std::string(dotted_key) + " is a mapping, not a value",
                        {.source = path,
                         .line = static_cast<uint32_t>(node.Mark().line + 1),
                         .column = static_cast<uint32_t>(node.Mark().column + 1)});
  } catch (const YAML::Exception& e) {
    Position where{.source = path};
    if (!e.mark.is_null()) {
      where.line = static_cast<uint32_t>(e.mark.line + 1);
      where.column = static_cast<uint32_t>(e.mark.column + 1);
    }
    return InvalidInput("malformed YAML: " + e.msg, where);
  }
}

}  // namespace imawatch::compliance

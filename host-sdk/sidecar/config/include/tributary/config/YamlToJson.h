// Converts a YAML node to JSON text, for handing YAML configuration to a provider verbatim.
#pragma once

#include <string>

namespace YAML {
class Node;
}

namespace tributary::config {

/// JSON for `node`: maps → objects (keys in file order), sequences → arrays, quoted or block
/// scalars → strings, plain scalars typed by the YAML 1.2 core schema (null / ~ / empty,
/// true / false, integers, floats) and strings otherwise. Undefined nodes are null.
std::string yamlToJson(const YAML::Node& node);

}  // namespace tributary::config

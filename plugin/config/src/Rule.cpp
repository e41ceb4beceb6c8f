#include "tributary/plugin/config/Rule.h"

#include "tributary/JsonWriter.h"

namespace tributary::plugin {

std::string Rule::toJson() const {
  JsonWriter w;
  w.beginObject();
  w.key("name").value(name);
  w.key("source").beginObject();
  w.key("type").value(source.type);
  if (!source.domain.empty()) w.key("domain").value(source.domain);
  w.key("repository").value(source.repository);
  if (!source.credential.empty()) w.key("credential").value(source.credential);
  w.endObject();
  w.key("policy").beginObject();
  w.key("tag_regex").value(policy.tagRegex);
  w.key("latest_n").value(policy.latestN);
  w.key("platforms").beginArray();
  for (const Platform& p : policy.platforms) w.value(p.toString());
  w.endArray();
  w.endObject();
  w.key("destination").beginObject();
  w.key("repository").value(destination.repository);
  w.key("overwrite").value(destination.overwrite);
  w.endObject();
  w.key("acceleration").value(acceleration);
  w.key("update_period").value(updatePeriod);
  w.endObject();
  return w.str();
}

}  // namespace tributary::plugin

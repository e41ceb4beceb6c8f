#include "tributary/dockerhub/BudgetedRegistryReader.h"

namespace tributary::dockerhub {

Result<registry::Manifest> BudgetedRegistryReader::getManifest(const std::string& repository,
                                                               const std::string& reference) {
  TRIB_RETURN_IF_ERROR(budget_.takeGet().withContext("GET manifest " + repository + ":" + reference));
  return inner_.getManifest(repository, reference);
}

}  // namespace tributary::dockerhub

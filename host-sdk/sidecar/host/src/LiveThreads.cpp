#include "tributary/host/LiveThreads.h"

#include <dirent.h>

namespace tributary::host {

int liveThreadCount() {
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = ::readdir(tasks)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(tasks);
  return count;
}

}  // namespace tributary::host

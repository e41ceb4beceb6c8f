#include "tributary/sync/ProgressBar.h"

#include <boost/test/unit_test.hpp>

#include <sstream>

using tributary::sync::ProgressBar;

namespace {

rp_progress_event_v1 bytesEvent(uint64_t done, uint64_t blobs) {
  rp_progress_event_v1 event{};
  event.struct_size = sizeof(event);
  event.kind = RP_PROGRESS_BYTES;
  event.bytes_done = done;
  event.bytes_total = 10000000;
  event.blobs_done = blobs;
  event.blobs_total = 4;
  return event;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ProgressBarTest)

BOOST_AUTO_TEST_CASE(line_format) {
  BOOST_TEST(ProgressBar::formatLine(1500000, 3000000, 1, 3, 2.5e6) ==
             "  1.5 MB / 3.0 MB  1/3 blobs  2.5 MB/s");
  BOOST_TEST(ProgressBar::formatLine(512, 0, 0, 0, 0) == "  512 B  0 blobs  0.0 MB/s");
}

BOOST_AUTO_TEST_CASE(redraws_at_most_ten_times_a_second) {
  std::ostringstream out;
  ProgressBar::Clock::time_point now{};
  ProgressBar bar(out, true, [&] { return now; });
  bar.onEvent(bytesEvent(0, 0));  // first draw
  for (int i = 1; i <= 9; ++i) {  // 9 events within 90 ms: no redraw
    now += std::chrono::milliseconds(10);
    bar.onEvent(bytesEvent(i * 100000, 0));
  }
  BOOST_TEST(bar.redrawCount() == 1);
  now += std::chrono::milliseconds(10);  // 100 ms after the first draw
  bar.onEvent(bytesEvent(2000000, 1));
  BOOST_TEST(bar.redrawCount() == 2);
  // 2 MB in 0.1 s = 20 MB/s
  BOOST_TEST(out.str().find("\r  2.0 MB / 10.0 MB  1/4 blobs  20.0 MB/s") != std::string::npos);
  bar.finish();
  BOOST_TEST(out.str().back() == '\r');
}

BOOST_AUTO_TEST_CASE(disabled_bar_draws_nothing) {
  std::ostringstream out;
  ProgressBar bar(out, false);
  bar.onEvent(bytesEvent(5, 1));
  bar.finish();
  BOOST_TEST(out.str().empty());
  BOOST_TEST(bar.redrawCount() == 0);
}

BOOST_AUTO_TEST_CASE(lines_printed_above_the_bar_never_share_its_line) {
  std::ostringstream out;
  ProgressBar bar(out, true);
  bar.onEvent(bytesEvent(1500000, 1));
  const std::string drawn = out.str();  // "\r  1.5 MB  1 blobs ..."
  out.str("");
  bar.printAbove("tributary: INFO: tag v1 synced");
  const std::string barText = drawn.substr(1);
  // cleared with spaces, the log line on its own line, then the bar drawn again below it
  BOOST_TEST(out.str() == "\r" + std::string(barText.size(), ' ') + "\r" +
                              "tributary: INFO: tag v1 synced\n" + barText);
  bar.finish();
  out.str("");
  bar.printAbove("after");  // nothing on screen any more: just the line
  BOOST_TEST(out.str() == "after\n");
}

BOOST_AUTO_TEST_CASE(disabled_bar_prints_lines_plainly) {
  std::ostringstream out;
  ProgressBar bar(out, false);
  bar.onEvent(bytesEvent(5, 1));
  bar.printAbove("line");
  BOOST_TEST(out.str() == "line\n");
}

BOOST_AUTO_TEST_CASE(too_small_event_struct_is_ignored) {
  std::ostringstream out;
  ProgressBar bar(out, true);
  rp_progress_event_v1 event = bytesEvent(5, 1);
  event.struct_size = 8;  // only struct_size and kind
  bar.onEvent(event);
  BOOST_TEST(bar.redrawCount() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

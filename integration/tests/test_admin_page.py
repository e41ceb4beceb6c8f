"""The admin page in a real browser against `tributary serve`: integration/browser/admin_page.mjs
(Debian's chromium driven by playwright-core) signs in, creates a custom-source rule in the
two-step dialog, executes it, sees the synced tags and deletes the rule. This script starts the
source registry and the service and hands the script their addresses. (Tags are 1.0 and 2.0:
the page's rows also show media types, whose "v2" would match a tag called v2.)"""

import os
import shutil
import subprocess
import sys

import harness
import images
import regclient
import servicerun
import syncrun

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER_DIR = os.path.join(os.path.dirname(HERE), "browser")
SRC_REPO = "upstream/page"


def main():
    node = shutil.which("node")
    chromium = shutil.which("chromium")
    if node is None or chromium is None:
        harness.skip("node or chromium missing: scripts/setup.sh installs nodejs and chromium")
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        harness.skip("playwright-core missing: scripts/setup.sh runs npm ci in integration/browser")
    work = harness.make_temp_dir("trib-admin-page-")
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        sc = regclient.RegistryClient.for_registry(src)
        images.push_artifact(sc, SRC_REPO, images.make_image("page/v1",
                                                             created="2024-01-01T00:00:00Z"),
                             ["1.0"])
        images.push_artifact(sc, SRC_REPO, images.make_image("page/v2",
                                                             created="2024-02-01T00:00:00Z"),
                             ["2.0"])
        svc = servicerun.Service(os.path.join(work, "svc"), os.path.join(work, "dest"),
                                 provider_config=syncrun.provider_config_for([src]))
        svc.start()
        env = dict(os.environ,
                   TRIB_PAGE_URL="http://127.0.0.1:%d/" % svc.port,
                   TRIB_PAGE_TOKEN=servicerun.TOKEN,
                   TRIB_SOURCE_DOMAIN=src.host,
                   TRIB_SOURCE_REPOSITORY=SRC_REPO,
                   TRIB_EXPECTED_TAGS="1.0,2.0",
                   TRIB_SCREENSHOT_DIR=os.path.join(work, "screenshots"),
                   TRIB_CHROMIUM=chromium)
        res = subprocess.run([node, os.path.join(BROWSER_DIR, "admin_page.mjs")], env=env,
                             cwd=BROWSER_DIR, capture_output=True, text=True, timeout=240)
        print(res.stdout)
        print(res.stderr, file=sys.stderr)
        code, _ = svc.stop()
        assert res.returncode == 0, "admin page steps failed:\n%s\n%s\n%s" % (
            res.stdout[-4000:], res.stderr[-4000:], svc.log())
        assert code == 0
    print("ok")


if __name__ == "__main__":
    main()

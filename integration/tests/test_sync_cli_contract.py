"""`tributary sync`'s contract with its operator (docs/reference.md):

- strict configuration: a typo under replication: is an error naming the file, the path and
  the closest key; a provider-config typo names replication.provider.config.<key>; a misspelt
  `replication:` is warned about;
- one exit code per cause: 1 the source could not be read (missing repository), 2 a source the
  configuration refuses (a private address without allow_private_networks), 3 a storage root this user cannot
  write — found before any request reaches the source;
- a dry run writes nothing (no directory, no cache file) and works as an unprivileged user on a
  root it cannot write;
- --json always prints a report valid against tests/schema/report.schema.json, also when the
  run could not happen; human output shows a kept tag's both digests and no INFO lines.

The provider's own reports follow schema 1 once the plugin emits it; while it still emits its
earlier shape (no schema_version) those reports are not schema-checked and the test exits 77
(skipped) after every other check has passed, saying so."""

import copy
import json
import os
import shutil
import sys

import harness
import images
import regclient
import syncrun

SCHEMA = os.path.join(os.environ.get("TRIB_SOURCE_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..")), "tests", "schema", "report.schema.json")
NOBODY = 65534


def load_validator():
    try:
        import jsonschema
    except ImportError:
        print("SKIP: python3-jsonschema is not installed (scripts/setup.sh installs it)")
        sys.exit(77)
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


class Reports:
    """Every --json report seen, validated against the schema (provider reports of the earlier
    shape are counted, not validated)."""

    def __init__(self, validator):
        self.validator = validator
        self.checked = 0
        self.pre_schema = []

    def check(self, res, what):
        report = res.report
        if "schema_version" not in report:
            self.pre_schema.append(what)
            return report
        errors = sorted(self.validator.iter_errors(report), key=lambda e: list(e.path))
        assert not errors, "%s: report does not match the schema:\n%s\n%s" % (
            what, "\n".join("%s: %s" % (list(e.path), e.message) for e in errors), res.describe())
        self.checked += 1
        return report


def snapshot_all(root):
    """Every path under root, directories included, with size and mtime (empty if absent)."""
    out = {}
    if not os.path.exists(root):
        return out
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            out[os.path.relpath(path, root)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def as_user(uid, argv):
    """argv run as `uid` (setpriv, util-linux), no supplementary groups."""
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"] + argv


def run_sync(target, rule, uid=None, dry_run=False, as_json=True, extra=()):
    argv = [syncrun.tributary_binary(), "sync", "--config", target.config_path,
            "--rule", target.write_rule(rule)]
    if dry_run:
        argv.append("--dry-run")
    if as_json:
        argv.append("--json")
    argv += list(extra)
    if uid is not None:
        argv = as_user(uid, argv)
    res = harness.run(argv, check=False)
    out = syncrun.SyncResult(argv, res.returncode, res.stdout.decode(errors="replace"),
                             res.stderr.decode(errors="replace"), as_json)
    print("ran: %s -> exit %d" % (" ".join(argv), out.code), flush=True)
    return out


def strict_configuration(work, src, good, reports):
    cases = [
        ({"providr": {}}, "replication.providr is not a known key",
         "did you mean `replication.provider`?"),
        ({"provider": {"confg": {}}}, "replication.provider.confg is not a known key",
         "did you mean `replication.provider.config`?"),
        ({"state_dri": "/tmp/x"}, "replication.state_dri", "did you mean `replication.state_dir`?"),
    ]
    for i, (replication, what, hint) in enumerate(cases):
        target = syncrun.SyncTarget(os.path.join(work, "strict-%d" % i))
        cfg = {"storage": {"filesystem": {"rootdirectory": target.root}},
               "replication": replication}
        harness.write_config(target.config_path, cfg)
        for dry in (True, False):
            res = run_sync(target, good, dry_run=dry).expect(2)
            assert target.config_path + ": " + what in res.stderr, res.describe()
            assert hint in res.stderr, res.describe()
            report = reports.check(res, "strict config %d" % i)
            assert report["status"] == "failed" and report["dry_run"] is dry, res.describe()
            assert report["error"]["code"] == "RP_ERR_INVALID_ARGUMENT", res.describe()
        assert not os.path.exists(target.root), "a config error created the root"

    # A provider-config typo names its YAML path (the provider checks its own keys).
    target = syncrun.SyncTarget(os.path.join(work, "strict-provider"),
                                dict(syncrun.provider_config_for([src]), concurency=2))
    res = run_sync(target, good).expect(2)
    assert target.config_path + ": replication.provider.config.concurency:" in res.stderr, \
        res.describe()
    reports.check(res, "provider config typo")

    # A misspelt section is ignored (as Distribution would) but warned about.
    target = syncrun.SyncTarget(os.path.join(work, "strict-toplevel"))
    cfg = {"storage": {"filesystem": {"rootdirectory": target.root}},
           "replicaton": {"provider": {"config": syncrun.provider_config_for([src])}}}
    harness.write_config(target.config_path, cfg)
    res = run_sync(target, good, dry_run=True, as_json=False)
    assert "top-level key `replicaton`" in res.stderr and "did you mean `replication`?" in \
        res.stderr, res.describe()
    print("strict configuration: typos are errors naming file, path and the closest key")


def exit_codes(work, src, good, reports):
    target = syncrun.SyncTarget(os.path.join(work, "codes"), syncrun.provider_config_for(
        [src], cache_dir=None))
    # The source repository does not exist: the source could not be read.
    missing = copy.deepcopy(good)
    missing["source"]["repository"] = "upstream/absent"
    for dry in (True, False):
        res = run_sync(target, missing, dry_run=dry).expect(1)
        report = reports.check(res, "missing repository")
        assert report["status"] == "failed" and report["error"]["code"], res.describe()
    # An undefined credential: input, listing the defined names.
    target.credentials = {"upstream-ro": {"username": "u", "password": "p"}}
    target.write_config()
    named = copy.deepcopy(good)
    named["source"]["credential"] = "upstream"
    res = run_sync(target, named).expect(2)
    assert "source.credential `upstream` is not defined" in res.stderr and \
        "(defined: `upstream-ro`)" in res.stderr, res.describe()
    reports.check(res, "undefined credential")
    print("exit codes: 1 unreadable source, 2 refused source / undefined credential")


def unprivileged(work, src, good, reports):
    os.chmod(work, 0o755)  # the config and rules must be readable by the other user
    # A root with content, owned by root: nobody can read but not write it.
    target = syncrun.SyncTarget(os.path.join(work, "ro"), {
        "insecure_registries": [src.host], "allow_private_networks": True})
    os.chmod(target.workdir, 0o755)
    run_sync(target, good).expect(0)
    shutil.rmtree(os.path.join(target.root, "tributary"))  # the defaulted state dir
    before = snapshot_all(target.root)
    res = run_sync(target, good, uid=NOBODY, dry_run=True).expect(0)
    reports.check(res, "dry run as nobody")
    assert snapshot_all(target.root) == before, "the dry run wrote into the root"
    res = run_sync(target, good, uid=NOBODY, dry_run=True, as_json=False).expect(0)
    assert "plan for rule" in res.stdout, res.describe()
    assert snapshot_all(target.root) == before, "the dry run wrote into the root"

    # An empty root (a fresh install): the dry run creates no directory and no cache file.
    empty = syncrun.SyncTarget(os.path.join(work, "empty"), {
        "insecure_registries": [src.host], "allow_private_networks": True})
    os.chmod(empty.workdir, 0o755)
    os.makedirs(empty.root)
    for uid in (NOBODY, None):  # as root too: a dry run must not write even when it could
        res = run_sync(empty, good, uid=uid, dry_run=True).expect(0)
        reports.check(res, "dry run on an empty root")
        assert os.listdir(empty.root) == [], os.listdir(empty.root)

    # A real sync as a user who cannot write the root stops before any request to the source.
    requests = src.count_requests()
    res = run_sync(target, good, uid=NOBODY).expect(3)
    assert "run tributary as the registry's user" in res.stderr, res.describe()
    assert "nobody" in res.stderr, res.describe()
    report = reports.check(res, "unwritable root")
    assert report["error"]["code"] == "RP_ERR_IO", res.describe()
    assert src.count_requests() == requests, "the source was contacted before the root check"
    assert snapshot_all(target.root) == before
    print("dry run: nothing written, works unprivileged; unwritable root: exit 3 up front")


def human_output(work, src, sc, reports):
    cache = os.path.join(work, "human-cache")
    target = syncrun.SyncTarget(os.path.join(work, "human"), syncrun.provider_config_for(
        [src], cache_dir=cache))
    first = images.make_image("contract/one", created="2024-01-01T00:00:00Z", layer_sizes=(900,))
    second = images.make_image("contract/two", created="2024-02-01T00:00:00Z", layer_sizes=(950,))
    images.push_artifact(sc, "upstream/human", first, ["v1"])
    rule = syncrun.make_rule(src.host, "upstream/human", "mirror/human", name="human")
    reports.check(run_sync(target, rule).expect(0), "first sync")
    images.push_artifact(sc, "upstream/human", second, ["v1"])
    res = run_sync(target, rule, as_json=False).expect(0)
    assert "INFO" not in res.stderr, "INFO lines repeat the table:\n" + res.describe()
    kept = [line for line in res.stdout.splitlines() if line.startswith("v1 ")]
    assert kept and "kept" in kept[0], res.describe()
    assert second.digest[:19] in kept[0], res.describe()
    assert "destination.overwrite: true" in kept[0], res.describe()
    assert "kept: kept" not in res.stdout + res.stderr, res.describe()
    # An explicit cache_dir is not written by a dry run either (a new image is seen: without
    # the dry-run rule its created time would be cached).
    images.push_artifact(sc, "upstream/human", images.make_image(
        "contract/three", created="2024-03-01T00:00:00Z", layer_sizes=(300,)), ["v2"])
    cached = snapshot_all(cache)
    assert cached, "the sync wrote no cache"
    plan = run_sync(target, rule, dry_run=True).expect(0)
    reports.check(plan, "dry run with a kept tag")
    assert snapshot_all(cache) == cached, "the dry run wrote the cache"
    before = snapshot_all(target.root)
    run_sync(target, rule, dry_run=True, as_json=False).expect(0)
    assert snapshot_all(target.root) == before and snapshot_all(cache) == cached
    if "schema_version" in plan.report:
        # Schema 1 says which digest the destination holds and what kind the time is.
        assert "destination has " + first.digest[:19] in kept[0], res.describe()
        assert "CREATED" in res.stdout.splitlines()[1], res.describe()
    # Tags tag_regex leaves out: listed only with --verbose.
    narrow = dict(rule, policy=dict(rule["policy"], tag_regex="v2"))
    quiet = run_sync(target, narrow, dry_run=True, as_json=False).expect(0)
    assert "excluded_by_regex" not in quiet.stdout, quiet.describe()
    loud = run_sync(target, narrow, dry_run=True, as_json=False, extra=("--verbose",)).expect(0)
    assert any(line.startswith("v1 ") and "excluded_by_regex" in line
               for line in loud.stdout.splitlines()), loud.describe()
    print("human output: kept shows both digests and the overwrite hint; no INFO lines; "
          "--verbose lists the tags tag_regex excludes")


def main():
    validator = load_validator()
    reports = Reports(validator)
    work = harness.make_temp_dir("trib-sync-contract-")
    img = images.make_image("contract/img", created="2024-01-01T00:00:00Z", layer_sizes=(1200,))
    with harness.Registry(os.path.join(work, "src-root"),
                          workdir=os.path.join(work, "src-reg")) as src:
        sc = regclient.RegistryClient.for_registry(src)
        images.push_artifact(sc, "upstream/app", img, ["v1", "v2"])
        good = syncrun.make_rule(src.host, "upstream/app", "mirror/app", name="contract")
        strict_configuration(work, src, good, reports)
        exit_codes(work, src, good, reports)
        unprivileged(work, src, good, reports)
        human_output(work, src, sc, reports)
    print("schema-checked %d reports" % reports.checked)
    assert reports.checked > 0
    if reports.pre_schema:
        print("SKIP: the provider still emits its pre-schema reports (%d: %s); they were not "
              "schema-checked" % (len(reports.pre_schema), ", ".join(reports.pre_schema)))
        sys.exit(77)
    print("test_sync_cli_contract OK")


if __name__ == "__main__":
    main()

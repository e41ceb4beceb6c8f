#!/usr/bin/env python3
"""docs/reference.md documents every key the code accepts:
- every replication: key (`tributary config-keys`, the host's one table),
- every provider config key (the plugin's own "known: …" list, from refusing an unknown key),
- every rule field (the rule schema the provider publishes, read from the plugin source).
usage: reference_keys_test.py <tributary> <plugin .so> <docs/reference.md> <plugin source dir>"""

import json
import os
import re
import subprocess
import sys
import tempfile


def documented(doc, key):
    return ("`%s`" % key) in doc


def replication_keys(tributary):
    out = subprocess.run([tributary, "config-keys"], check=True, stdout=subprocess.PIPE).stdout
    keys = [line.split("\t")[0] for line in out.decode().splitlines() if line.strip()]
    assert len(keys) >= 10 and "replication.provider.config" in keys, keys
    return keys


def provider_keys(tributary, plugin):
    with tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "config.yml")
        with open(config, "w") as f:
            f.write("storage:\n  filesystem:\n    rootdirectory: %s/root\n"
                    "replication:\n  provider:\n    config:\n      zz_not_a_key: 1\n" % work)
        rule = os.path.join(work, "rule.json")
        with open(rule, "w") as f:
            json.dump({"name": "x", "source": {"type": "custom", "domain": "h:1",
                                               "repository": "a/b"},
                       "destination": {"repository": "m/b"}}, f)
        res = subprocess.run([tributary, "sync", "--dry-run", "--config", config, "--rule", rule,
                              "--library", plugin], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    err = res.stderr.decode()
    assert res.returncode == 2, err
    assert "replication.provider.config.zz_not_a_key" in err, err
    m = re.search(r"known: ([a-z0-9_, ]+)", err)
    assert m, "the provider's refusal lists no known keys:\n" + err
    keys = [k.strip() for k in m.group(1).split(",") if k.strip()]
    assert "allow_private_networks" in keys and "insecure_registries" in keys, keys
    return keys


def rule_fields(plugin_source):
    for dirpath, _dirs, files in os.walk(plugin_source):
        for name in files:
            if not name.endswith(".cpp"):
                continue
            text = open(os.path.join(dirpath, name), encoding="utf-8").read()
            m = re.search(r'kRuleSchema\[?\]?\s*=\s*R"json\((.*?)\)json"', text, re.S)
            if m:
                schema = json.loads(m.group(1))
                fields = []

                def walk(node, prefix):
                    for key, sub in node.get("properties", {}).items():
                        if sub.get("type") == "object":
                            walk(sub, prefix + key + ".")  # its fields are the entries
                        else:
                            fields.append(prefix + key)
                walk(schema, "")
                return fields
    raise AssertionError("no kRuleSchema in " + plugin_source)


def main():
    tributary, plugin, doc_path, plugin_source = sys.argv[1:5]
    doc = open(doc_path, encoding="utf-8").read()
    missing = []
    for key in replication_keys(tributary):
        if not documented(doc, key):
            missing.append("replication key " + key)
    for key in provider_keys(tributary, plugin):
        if not documented(doc, key):
            missing.append("provider config key " + key)
    fields = rule_fields(plugin_source)
    assert "policy.latest_n" in fields and "source.credential" in fields, fields
    for field in fields:
        if not documented(doc, field):
            missing.append("rule field " + field)
    if missing:
        print("docs/reference.md does not document:\n  " + "\n  ".join(missing))
        return 1
    print("docs/reference.md documents every replication key, provider config key and rule field")
    return 0


if __name__ == "__main__":
    sys.exit(main())

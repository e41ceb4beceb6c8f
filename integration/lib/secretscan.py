"""Looking for secrets in everything a program produced: files (any bytes: logs, SQLite
databases and their -wal, caches, storage roots) and captured texts.

    scan = SecretScan()
    scan.add("basic password", PASSWORD, user="alice")   # also base64("alice:<password>")
    scan.add_token("tokenserver JWT", jwt)                # also its signature part alone
    hits = scan.files([workdir], exclude=[secret_file])   # [(path, label, form)]
"""

import base64
import json
import os
import urllib.parse


class SecretScan:
    def __init__(self):
        self.needles = []  # (label, form, bytes)

    def _add(self, label, form, value):
        if isinstance(value, str):
            value = value.encode()
        if len(value) < 8:
            raise ValueError("%s: a needle of %d bytes would match by chance" % (label,
                                                                                len(value)))
        if all(n[2] != value for n in self.needles):
            self.needles.append((label, form, value))

    def add(self, label, secret, user=None):
        """A password or token: as written, JSON-escaped, URL-encoded and, with a user name,
        base64 of `user:secret` (an Authorization: Basic value)."""
        self._add(label, "raw", secret)
        self._add(label, "json", json.dumps(secret)[1:-1])
        self._add(label, "url-encoded", urllib.parse.quote(secret, safe=""))
        self._add(label, "base64", base64.b64encode(secret.encode()).decode())
        if user is not None:
            basic = base64.b64encode(("%s:%s" % (user, secret)).encode()).decode()
            self._add(label, "basic(base64 user:secret)", basic)
            # the same bytes inside a longer base64 run: drop the padding
            self._add(label, "basic unpadded", basic.rstrip("="))

    def add_token(self, label, token):
        """An issued token: the whole value and, for a JWT, its signature part alone (so a
        log line that cut the token short still counts)."""
        self._add(label, "raw", token)
        parts = token.split(".")
        if len(parts) == 3 and len(parts[2]) >= 16:
            self._add(label, "jwt signature", parts[2])

    def text(self, text):
        """[(label, form)] of needles in a str/bytes."""
        if isinstance(text, str):
            text = text.encode()
        return [(label, form) for label, form, n in self.needles if n in text]

    def files(self, roots, exclude=()):
        """Scan every regular file under each root (or the root itself when a file).
        Returns (hits [(path, label, form)], files scanned, bytes scanned)."""
        excluded = {os.path.realpath(p) for p in exclude}
        hits, count, total = [], 0, 0
        for root in roots:
            paths = []
            if os.path.isfile(root):
                paths = [root]
            else:
                for dirpath, _dirs, files in os.walk(root):
                    paths += [os.path.join(dirpath, f) for f in files]
            for path in paths:
                if os.path.realpath(path) in excluded or os.path.islink(path) \
                        or not os.path.isfile(path):
                    continue
                try:
                    with open(path, "rb") as f:
                        data = f.read()
                except (FileNotFoundError, PermissionError):
                    continue  # a temp file that went away meanwhile
                count += 1
                total += len(data)
                for label, form in self.text(data):
                    hits.append((path, label, form))
        return hits, count, total

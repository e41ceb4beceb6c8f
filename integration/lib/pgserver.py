"""A throwaway PostgreSQL cluster for one test run, from Debian's `postgresql` package:
`initdb` into a temp dir, `postgres` on 127.0.0.1 and a free port (its unix socket in the temp
dir too), password authentication (scram-sha-256) for the one user, stopped by its PID.

    with pgserver.PostgresServer(workdir) as pg:
        url = pg.create_database("fleet")          # postgresql://tributary@127.0.0.1:<port>/fleet
        pg.passfile                                 # for replication.state_passfile
        pg.query("fleet", "SELECT count(*) FROM tasks")   # -> rows as lists of strings

initdb and postgres refuse to run as root: as root (CI, these machines) both run as the
`postgres` system user the package creates, through setpriv (util-linux); as any other user
they run as that user. The cluster is tuned for tests (fsync off): never keep data in it."""

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import harness

PG_BIN = os.environ.get("TRIB_PG_BIN", "/usr/lib/postgresql/15/bin")
USER = "tributary"
PASSWORD = "fleet-test-password-0123456789"


def available():
    return os.path.exists(os.path.join(PG_BIN, "initdb"))


class PostgresServer:
    def __init__(self, workdir):
        if not available():
            harness.skip("PostgreSQL server binaries not found in %s (Debian: postgresql)" % PG_BIN)
        self.port = harness.free_port()
        self.proc = None
        # Its own temp dir: the server's user must own it, and the caller's may be private.
        self.dir = tempfile.mkdtemp(prefix="trib-pg-")
        self.data = os.path.join(self.dir, "data")
        self.socket_dir = os.path.join(self.dir, "sock")
        os.makedirs(self.socket_dir)
        self.log_path = os.path.join(workdir, "postgres.log")
        # The sidecars' libpq password file (read by libpq in tributary, so owned by the test's
        # user, mode 0600 as libpq requires).
        self.passfile = os.path.join(workdir, "pgpass")
        with open(self.passfile, "w") as f:
            f.write("*:*:*:%s:%s\n" % (USER, PASSWORD))
        os.chmod(self.passfile, 0o600)
        self._as_user = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")  # created by Debian's postgresql-common
            for root, dirs, _files in os.walk(self.dir):
                os.chown(root, pw.pw_uid, pw.pw_gid)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as_user = [shutil.which("setpriv"), "--reuid=postgres", "--regid=postgres",
                             "--init-groups", "--"]

    # -- lifecycle -------------------------------------------------------------------------
    def start(self):
        pwfile = os.path.join(self.dir, "initdb.pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if self._as_user:
            pw = pwd.getpwnam("postgres")
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        harness.run(self._as_user + [
            os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", USER, "--pwfile=" + pwfile,
            "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            timeout=120)
        os.remove(pwfile)
        # setpriv's parent-death signal is cleared by the user change: the inner setpriv
        # (already the postgres user) sets it again before exec, so a killed test leaves no
        # server behind.
        argv = self._as_user + ([shutil.which("setpriv"), "--pdeathsig", "KILL", "--"]
                                if self._as_user else []) + [
            os.path.join(PG_BIN, "postgres"), "-D", self.data, "-h", "127.0.0.1",
            "-p", str(self.port), "-k", self.socket_dir,
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=50"]
        self._argv = argv
        return self._launch()

    def _launch(self):
        self.proc = harness.start_process(self._argv, self.log_path)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("postgres exited %s:\n%s" % (self.proc.returncode, self.log()))
            ready = subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-q", "-h", "127.0.0.1",
                                    "-p", str(self.port)])
            if ready.returncode == 0:
                return self
            time.sleep(0.1)
        raise AssertionError("postgres not ready on :%d\n%s" % (self.port, self.log()))

    def restart(self):
        """Fast shutdown (clients cut off) and a new server on the same data and port."""
        self._halt()
        return self._launch()

    def _halt(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)  # fast shutdown: clients are cut off
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pass
            harness.stop_process(self.proc)  # SIGKILL if it is still there; forgets it
            self.proc = None

    def stop(self):
        self._halt()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    # -- databases -------------------------------------------------------------------------
    def _env(self):
        env = dict(os.environ)
        env["PGPASSWORD"] = PASSWORD
        return env

    def create_database(self, name):
        """Creates `name`; answers its URL for replication.state (no password in it)."""
        harness.run([os.path.join(PG_BIN, "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                     "-U", USER, name], env=self._env(), timeout=60)
        return self.url(name)

    def url(self, name):
        return "postgresql://%s@127.0.0.1:%d/%s" % (USER, self.port, name)

    def query(self, database, sql):
        """Rows of `sql` as lists of strings (psql, unaligned)."""
        out = subprocess.run(
            [os.path.join(PG_BIN, "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER,
             "-d", database, "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            env=self._env(), capture_output=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError("psql %s failed: %s" % (sql, out.stderr.decode(errors="replace")))
        text = out.stdout.decode()
        return [line.split("\t") for line in text.splitlines() if line]

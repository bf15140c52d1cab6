"""Starts the real suite (`zhibiao up`, ephemeral loopback ports, bearer
tokens on) once for the session, ingests the seed and two work reports from
../shared, and gives the tests a client and a way to run the CLI on the same
suite."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import zhibiao  # noqa: E402

REPO = HERE.parents[2]
BIN = Path(os.environ.get("ZHIBIAO_BIN_DIR", REPO / "build" / "bin"))
SHARED = Path(os.environ.get("ZHIBIAO_SHARED_DIR", REPO.parent / "shared"))
SEED = SHARED / "fixtures" / "xinxiang-2021.txt"
WORK_REPORTS = [SHARED / "corpus" / "gzbg-2026" / "henan-2026.txt", SHARED / "corpus" / "gzbg-2026" / "hebei-2026.txt"]


class Suite:
    def __init__(self, work, env, token, token_file):
        self.work, self.env, self.token, self.token_file = work, env, token, token_file

    def client(self, token=True, **kwargs):
        return zhibiao.Client(self.env["ZHIBIAO_QUERY_ADDR"], token=self.token if token else "",
                              ingest_target=self.env["ZHIBIAO_INGEST_ADDR"], **kwargs)

    def cli(self, *args, token=True, check=True):
        """Runs the zhibiao CLI on this suite; returns (exit code, stdout, stderr)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIBIAO_")}
        env.update({k: v for k, v in self.env.items() if k.endswith("_ADDR")})
        if token:
            env["ZHIBIAO_TOKEN_FILE"] = str(self.token_file)
        done = subprocess.run([str(BIN / "zhibiao"), *args], env=env, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"zhibiao {' '.join(args)}: exit {done.returncode}: {done.stderr}")
        return done.returncode, done.stdout, done.stderr

    def cli_json(self, *args):
        return json.loads(self.cli(*args, "--json")[1])


def free_loopback_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def suite(tmp_path_factory):
    for path in [BIN / "zhibiao", SEED, *WORK_REPORTS]:
        if not path.exists():
            pytest.fail(f"{path} is missing (build the suite; ../shared beside the repository)")
    work = tmp_path_factory.mktemp("suite")
    token = secrets.token_hex(16)
    (work / "tokens").write_text(f"tester ingest,query,admin,store {token}\n")
    token_file = work / "token"
    token_file.write_text(token + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIBIAO_")}
    env.update(ZHIBIAO_TOKENS_FILE=str(work / "tokens"), ZHIBIAO_STORAGE_TOKEN_FILE=str(token_file))
    log = open(work / "up.log", "w")
    up = subprocess.Popen([str(BIN / "zhibiao"), "up", "--storage-shards=2", "--base_port=0",
                           f"--data_dir={work / 'data'}"], env=env, stdout=log, stderr=subprocess.STDOUT,
                          start_new_session=True)
    env_file = work / "data" / "run" / "env"
    deadline = time.monotonic() + 60
    while not (env_file.exists() and "ZHIBIAO_QUERY_ADDR" in env_file.read_text()):
        if up.poll() is not None or time.monotonic() > deadline:
            up.kill()
            pytest.fail(f"zhibiao up did not start: {(work / 'up.log').read_text()[-2000:]}")
        time.sleep(0.2)
    the_suite = Suite(work, zhibiao.read_env_file(env_file), token, token_file)
    with the_suite.client() as c:
        while not all(c.health().status == "SERVING"):
            if time.monotonic() > deadline:
                pytest.fail("the suite never became healthy")
            time.sleep(0.2)
    yield the_suite
    os.killpg(up.pid, signal.SIGINT)
    try:
        up.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(up.pid, signal.SIGKILL)
    log.close()


@pytest.fixture(scope="session")
def zb(suite):
    with suite.client() as c:
        yield c


@pytest.fixture(scope="session")
def loaded(suite, zb, tmp_path_factory):
    """The seed ingested alone, the two work reports as a folder (with files
    that are not reports beside them)."""
    seed = zb.ingest(SEED)
    folder = tmp_path_factory.mktemp("reports")
    for path in WORK_REPORTS:
        shutil.copy(path, folder / path.name)
    (folder / "README.md").write_text("# not a report\n")
    (folder / "notes.gold.jsonl").write_text("{}\n")
    (folder / "empty.txt").write_bytes(b"")
    table = zb.ingest_folder(folder, progress=False)
    return {"seed": seed, "folder": table}

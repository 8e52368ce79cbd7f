"""Long calls in a notebook: Ctrl-C (SIGINT) stops them with KeyboardInterrupt and leaves the
interpreter usable; `progress=` reports the work from the calling thread and changes no number."""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import nnqft

#: A hang detector, not a speed requirement: the interrupt must land well within this many
#: seconds of SIGINT (measured: tens of milliseconds; the printed latency is the number to read).
HANG_SECONDS = 10.0

#: Long calls, each minutes or tens of seconds on two cores: a sample of 10 x 10**7 nets, the
#: theory table (with the six-point vertex) of a tanh network of depth 8, the NTK table (with its
#: order-1/n theory) of the same network, and two studies of
#: `cargo xtask reproduce` at the default profile's sizes.
LONG_CALLS = {
    "sample erf": 'nnqft.sample("erf", 50, nets=10**7, experiments=10)',
    "sample relu": 'nnqft.sample("relu", 50, nets=10**7, experiments=10)',
    "theory tanh L=8": 'nnqft.theory("tanh", [20] * 8)',
    "ntk tanh L=8 (its 1/n theory)": 'nnqft.ntk("tanh", [20] * 8)',
    "scaling default": 'nnqft.scaling("default")',
    "depth default": 'nnqft.depth("default")',
    "depth tanh L=40 (its vertex)": 'nnqft.depth(networks=["tanh"], depths=[40], widths=[10], experiments=2, nets=10)',
}

#: The child: announces the long call, runs it, and prints the monotonic time at which
#: KeyboardInterrupt arrived; then a second call in the same interpreter.
# The child restores Python's own SIGINT handler first: a harness started in the background of a
# non-interactive shell ignores SIGINT, and an interpreter that starts with SIGINT ignored keeps
# ignoring it (no KeyboardInterrupt at all); the test is about nnqft under the usual handler.
CHILD = """
import signal
import time
import nnqft
signal.signal(signal.SIGINT, signal.default_int_handler)
print("started", flush=True)
try:
    {call}
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
t = nnqft.sample("erf", 5, nets=2000, experiments=3, seed=5)
print("again", len(t["n"]), flush=True)
"""


def interrupt_latency(call: str) -> float:
    """Starts `call` in a child interpreter, sends SIGINT a second after it began, and returns
    the seconds from the signal to the child's KeyboardInterrupt; checks that the child then
    runs another call and exits cleanly."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(call=call)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "started"
        time.sleep(1.0)  # well inside the call
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=HANG_SECONDS + 60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    lines = out.split("\n")
    assert lines[0].startswith("interrupted"), out
    latency = float(lines[0].split()[1]) - sent
    assert lines[1] == "again 609", out
    return latency


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a child interpreter")
@pytest.mark.parametrize("name", LONG_CALLS)
def test_sigint_stops_a_long_call_and_the_interpreter_goes_on(name, capsys):
    latency = interrupt_latency(LONG_CALLS[name])
    with capsys.disabled():  # shown in CI's log without -s
        print(f"\ninterrupt latency of {name} (SIGINT to KeyboardInterrupt): {latency * 1000:.0f} ms")
    assert 0 <= latency < HANG_SECONDS


def test_progress_callback_sees_every_net_from_the_calling_thread_and_changes_no_number():
    calls = []
    caller = threading.get_ident()

    def progress(done, total):
        calls.append((done, total, threading.get_ident()))

    kw = dict(nets=9000, experiments=4, seed=3, threads=2)
    plain = nnqft.sample("erf", 5, **kw)
    watched = nnqft.sample("erf", 5, progress=progress, **kw)
    for name, col in plain.items():
        if isinstance(col, np.ndarray):
            assert np.array_equal(col.view(np.uint8), watched[name].view(np.uint8)), name
        else:
            assert col == watched[name], name
    assert calls, "no progress reported"
    done = [c[0] for c in calls]
    assert done == sorted(done) and done[-1] == 36000
    assert {c[1] for c in calls} == {36000}
    assert {c[2] for c in calls} == {caller}


def test_progress_on_every_long_call():
    seen = {}

    def recorder(name):
        return lambda done, total: seen.setdefault(name, []).append((done, total))

    nnqft.ntk("relu", [4], nets=100, experiments=2, progress=recorder("ntk"))
    f = np.random.default_rng(1).normal(size=(4000, 3))
    nnqft.analyze(f, experiments=4, progress=recorder("analyze"))
    assert seen["ntk"][-1] == (200, 200)
    # with the dNTK: the NTK's nets and the dNTK's as many again
    nnqft.ntk("relu", [4], x=[0.2, 0.7], nets=100, experiments=2, dntk=True, progress=recorder("dntk"))
    assert seen["dntk"][-1] == (400, 400)
    # with the ddNTK, likewise
    nnqft.ntk("relu", [4], x=[0.2, 0.7], nets=100, experiments=2, ddntk=True, progress=recorder("ddntk"))
    assert seen["ddntk"][-1] == (400, 400)
    assert seen["analyze"][-1] == (4000, 4000)
    nnqft.depth(networks=["relu"], depths=[1], widths=[4], experiments=2, nets=100, progress=recorder("depth"))
    assert seen["depth"][-1] == (200, 200)
    # True is a tqdm bar where tqdm is installed, and nothing otherwise; never an error
    nnqft.sample("erf", 5, nets=500, experiments=2, progress=True)
    nnqft.sample("erf", 5, nets=500, experiments=2, progress=False)


def test_an_exception_in_the_progress_callback_stops_the_call():
    def boom(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        nnqft.sample("erf", 5, nets=10**6, experiments=10, progress=boom)
    assert len(nnqft.sample("erf", 5, nets=500, experiments=2)["n"]) == 609


@pytest.mark.parametrize("bad", ["yes", 1, 0.5])
def test_progress_must_be_a_bool_or_a_callable(bad):
    with pytest.raises(ValueError, match=r"invalid progress = .*allowed range is False, True"):
        nnqft.sample("erf", 5, nets=500, experiments=2, progress=bad)


import threading
import time

from assess_xlsx.watch import describe, folder_state, is_candidate, watch


def test_candidates_skip_lock_hidden_and_temp_files():
    assert is_candidate("太原市.xlsx")
    assert is_candidate("大同市.ODS")
    assert not is_candidate("~$太原市.xlsx")
    assert not is_candidate(".~lock.太原市.xlsx#")
    assert not is_candidate(".hidden.xlsx")
    assert not is_candidate("说明.docx")
    assert not is_candidate("太原市.xlsx.part")


def test_describe_names_added_replaced_removed():
    old = {"a.xlsx": (1, 1), "b.xlsx": (1, 1)}
    new = {"a.xlsx": (2, 5), "c.xlsx": (1, 1)}
    assert describe(old, new) == "新增 / added: c.xlsx；更新 / replaced: a.xlsx；移除 / removed: b.xlsx"
    assert describe(old, old) == ""


def test_watch_runs_once_then_after_a_settled_change(tmp_path):
    (tmp_path / "太原市.xlsx").write_bytes(b"x")
    reasons = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(tmp_path, reasons.append),
        kwargs={"interval": 0.02, "settle": 0.1, "should_stop": stop.is_set},
    )
    thread.start()
    try:
        _wait_for(lambda: len(reasons) == 1)
        (tmp_path / "~$大同市.xlsx").write_bytes(b"lock")  # ignored
        time.sleep(0.3)
        assert len(reasons) == 1
        (tmp_path / "大同市.xlsx").write_bytes(b"y")
        _wait_for(lambda: len(reasons) == 2)
    finally:
        stop.set()
        thread.join(5)
    assert reasons == ["首次评分 / first run", "新增 / added: 大同市.xlsx"]
    assert not thread.is_alive()


def test_a_file_still_growing_is_not_read_until_it_settles(tmp_path):
    clock = [0.0]
    runs = []
    target = tmp_path / "晋中市.xlsx"
    sizes = iter([1, 2, 3, 3, 3, 3, 3, 3])

    def fake_sleep(_):
        clock[0] += 1.0
        try:
            target.write_bytes(b"x" * next(sizes))
        except StopIteration:
            pass

    steps = iter(range(12))
    watch(
        tmp_path, runs.append, interval=1.0, settle=2.0,
        should_stop=lambda: next(steps, None) is None, sleep=fake_sleep, clock=lambda: clock[0],
    )
    # one first run, then exactly one run once the size stopped moving
    assert runs == ["首次评分 / first run", "新增 / added: 晋中市.xlsx"]
    assert folder_state(tmp_path)["晋中市.xlsx"][0] == 3


def _wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)

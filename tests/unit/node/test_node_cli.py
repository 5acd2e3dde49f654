import subprocess
import sys


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "reference_node", *args], capture_output=True, text=True, timeout=60
    )


def test_unknown_persona_exits_2_naming_the_known_ones(tmp_path):
    result = _run("--port", "1", "--data-dir", str(tmp_path), "--persona", "evil")
    assert result.returncode == 2
    assert "unknown persona 'evil'" in result.stderr and "honest" in result.stderr


def test_bad_persona_argument_and_bad_peer_list_exit_2(tmp_path):
    assert _run("--port", "1", "--persona-arg", "novalue").returncode == 2
    assert _run("--port", "1", "--peers", "nohostport").returncode == 2


def test_data_dir_of_another_network_exits_2(tmp_path):
    from reference_node.core.chain import ChainState
    from reference_node.core.params import ChainParams
    from reference_node.store import Store

    store = Store(tmp_path / "chain.sqlite3")
    store.load(ChainState(ChainParams(difficulty=3, genesis_accounts=2), store))
    store.close()
    result = _run("--port", "1", "--data-dir", str(tmp_path), "--difficulty", "4")
    assert result.returncode == 2 and "genesis" in result.stderr

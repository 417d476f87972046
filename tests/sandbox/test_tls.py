"""``cwdesk sandbox serve --tls``: every sandbox has certificate files of its own (issue 11, item 8).

Two sandboxes started one after the other in the same ``CWDESK_HOME`` used to share one ``sandbox-tls`` folder, so
the second overwrote the CA that the first one's clients trusted.
"""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import httpx
import pytest

from cwdesk.sandbox.tls import make_certificates, run_folder
from tests.loopback import serve


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_two_tls_sandboxes_at_once_are_each_verified_by_their_own_ca(tmp_path: Path) -> None:
    home = tmp_path / "home"  # the same CWDESK_HOME for both, as for two shells of one user
    with serve(home, "--tls", "--seed", "none") as first, serve(home, "--tls", "--seed", "none") as second:
        assert first.ca_pem and second.ca_pem
        assert Path(first.ca_pem).parent != Path(second.ca_pem).parent
        assert Path(first.ca_pem).read_bytes() != Path(second.ca_pem).read_bytes()
        for served in (first, second):
            answer = httpx.get(served.base + "/login/companyinfo/sandbox", verify=served.verify)
            assert answer.status_code == 200
        # Each CA vouches for its own server only: the first's CA does not verify the second server.
        trusting_the_first = ssl.create_default_context(cafile=first.ca_pem)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(second.base + "/login/companyinfo/sandbox", verify=trusting_the_first)
        folder = Path(first.ca_pem).parent
        assert _mode(folder) == 0o700
        assert _mode(folder / "sandbox-key.pem") == 0o600
    # Each run's files are removed when its server stops.
    assert not folder.exists()
    assert list((home / "sandbox-tls").iterdir()) == []


def test_certificate_files_are_never_written_over(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, 8901)
    make_certificates(folder, ["localhost"])
    with pytest.raises(FileExistsError, match="each sandbox needs a folder of its own"):
        make_certificates(folder, ["localhost"])


def test_each_run_gets_a_new_private_folder_named_after_its_port(tmp_path: Path) -> None:
    first, second = run_folder(tmp_path, 8901), run_folder(tmp_path, 8901)
    assert first != second
    assert first.name.startswith("port-8901-")
    assert _mode(first) == 0o700

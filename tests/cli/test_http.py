"""rawnet http: requests over rawnet.tcp to Python's http.server in lab host b, checked by the server.

The server is a real kernel one (a subprocess in b, dual stack): it serves a directory, answers
/chunked in chunks and /close by closing, and writes what a POST brought into a file the test
reads. The -v lines are compared with tcpdump's own lines of a capture made in b.
"""

from __future__ import annotations

import hashlib
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from tests.cli.conftest import RAWNET, assert_one_line_error, rawnet, tcpdump, tshark_fields
from tests.privilege import without
from tests.servers import started

PORT = 8080
CLOSED_PORT = 8081  # nothing listens there
TIMEOUT = 10.0
CHUNKS = [b"first chunk\n", b"x" * 5000, b"last\n"]

#: The server in b: http.server's file handler, on [::]:PORT (IPv4 too), with /chunked, /close,
#: /slow (20 s of silence), /reset (a RST) and POST (the body into DIR/posted, its headers into
#: DIR/posted.headers); "ready" on stderr.
_SERVER = """
import http.server, socket, struct, sys, time
directory, port, chunks = sys.argv[1], int(sys.argv[2]), [bytes.fromhex(c) for c in sys.argv[3:]]

class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=directory, **kwargs)

    def do_GET(self):
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(b"%x\\r\\n%s\\r\\n" % (len(chunk), chunk))
            self.wfile.write(b"0\\r\\n\\r\\n")
        elif self.path == "/slow":
            time.sleep(20)
        elif self.path == "/reset":  # closed with SO_LINGER 0: a RST
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif self.path == "/close":
            self.protocol_version = "HTTP/1.0"
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"".join(chunks))
            self.close_connection = True
        else:
            super().do_GET()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(directory + "/posted", "wb") as file:
            file.write(body)
        with open(directory + "/posted.headers", "w") as file:
            file.write(str(self.headers))
        answer = b"got %d bytes\\n" % len(body)
        self.send_response(201)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

with Server(("::", port), Handler) as server:
    print("ready", file=sys.stderr, flush=True)
    server.serve_forever()
"""


@pytest.fixture(scope="module")
def served(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The directory b's server serves, holding `file` (1 MB of random bytes) and `small`."""
    directory = tmp_path_factory.mktemp("served")
    (directory / "file").write_bytes(random_bytes(1_000_000))
    (directory / "small").write_bytes(b"hello from b\n")
    argv = [sys.executable, "-c", _SERVER, str(directory), str(PORT), *(chunk.hex() for chunk in CHUNKS)]
    with started(lab, "b", argv, lambda line: line == "ready\n", TIMEOUT):
        yield directory


def random_bytes(size: int) -> bytes:
    return hashlib.shake_256(b"rawnet http").digest(size)


def http(lab: Lab, *args: str) -> subprocess.CompletedProcess[bytes]:
    """`rawnet http ARGS` in a, its output as bytes (the body is not text)."""
    return lab.run("a", [*RAWNET, "http", *args], text=False, timeout=60)


def url(lab: Lab, path: str, ipv6: bool = False, port: int = PORT) -> str:
    b = lab["b"]
    return f"http://[{b.ipv6}]:{port}{path}" if ipv6 else f"http://{b.ipv4}:{port}{path}"


@pytest.mark.parametrize("ipv6", [False, True], ids=["IPv4", "IPv6"])
def test_a_file_from_http_server_comes_whole_on_stdout(lab: Lab, served: Path, ipv6: bool) -> None:
    result = http(lab, "GET", url(lab, "/file", ipv6))
    assert result.returncode == 0, result.stderr
    expected = (served / "file").read_bytes()
    assert len(result.stdout) == len(expected)
    assert hashlib.sha256(result.stdout).hexdigest() == hashlib.sha256(expected).hexdigest()
    assert result.stderr == b""  # nothing but the body without -v


def test_o_writes_the_body_to_a_file_and_nothing_to_stdout(lab: Lab, served: Path, tmp_path: Path) -> None:
    target = tmp_path / "got"
    result = http(lab, "GET", url(lab, "/file"), "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert (
        hashlib.sha256(target.read_bytes()).digest()
        == hashlib.sha256((served / "file").read_bytes()).digest()
    )


def test_a_chunked_response_is_put_together(lab: Lab, served: Path) -> None:
    result = http(lab, "GET", url(lab, "/chunked"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"".join(CHUNKS)


def test_a_response_ending_with_the_connection_is_read_until_the_close(lab: Lab, served: Path) -> None:
    result = http(lab, "GET", url(lab, "/close"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"".join(CHUNKS)


def test_a_404_is_a_response_like_any_other_as_with_curl(lab: Lab, served: Path) -> None:
    result = http(lab, "GET", url(lab, "/nosuch"))
    assert result.returncode == 0, result.stderr
    assert b"404" in result.stdout  # http.server's error page


def test_post_with_d_reaches_the_server_with_its_headers(lab: Lab, served: Path) -> None:
    result = http(lab, "POST", url(lab, "/form", ipv6=True), "-d", "a=1&b=2", "-H", "X-Test: yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"got 7 bytes\n"
    assert (served / "posted").read_bytes() == b"a=1&b=2"
    headers = (served / "posted.headers").read_text().splitlines()
    assert f"Host: [{lab['b'].ipv6}]:{PORT}" in headers
    assert "Content-Type: application/x-www-form-urlencoded" in headers
    assert "Connection: close" in headers and "X-Test: yes" in headers
    assert any(re.fullmatch(r"User-Agent: rawnet/\d+\.\d+\.\d+", line) for line in headers)


def test_data_binary_sends_a_file_s_bytes_as_they_are(lab: Lab, served: Path, tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(random_bytes(100_000) + b"\r\n")
    result = http(lab, "PUT", url(lab, "/x"), "--data-binary", f"@{blob}")  # (http.server has no PUT: 501)
    assert result.returncode == 0, result.stderr
    assert b"501" in result.stdout
    result = http(lab, "POST", url(lab, "/x"), "--data-binary", f"@{blob}")
    assert result.returncode == 0, result.stderr
    assert (served / "posted").read_bytes() == blob.read_bytes()


def tcpdump_lines(path: Path) -> list[str]:
    """tcpdump's own lines of a capture, without their time stamps, and without what its HTTP
    printer adds on port 8080 (": HTTP: GET /small HTTP/1.1", ": HTTP"): rawnet has none yet."""
    out = subprocess.run(["tcpdump", "-n", "-r", str(path)], capture_output=True, text=True, check=True)
    return [re.sub(r": HTTP(: .*)?$", "", line.split(" ", 1)[1]) for line in out.stdout.splitlines()]


def test_v_prints_each_segment_as_tcpdump_does_the_syn_with_its_options(
    lab: Lab, served: Path, tmp_path: Path
) -> None:
    b = lab["b"]
    with tcpdump(lab, "b", b.interfaces["a"].name, f"tcp port {PORT}", tmp_path / "b.pcap") as capture:
        result = http(lab, "GET", url(lab, "/small"), "-v", "--mss", "1200", "--wscale", "5", "--isn", "1000")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"hello from b\n"  # the body stays clean
    lines = result.stderr.decode().splitlines()
    segments = [line for line in lines if not line.startswith((">", "<"))]  # (the rest: the heads)
    assert all(re.match(r"\d\d:\d\d:\d\d\.\d{6} IP \S+ > \S+: Flags \[", line) for line in segments), lines
    syn = segments[0].split(" ", 1)[1]
    assert re.fullmatch(
        rf"IP 198\.18\.1\.\d+\.\d+ > {re.escape(b.ipv4)}\.{PORT}: Flags \[S\], seq 1000, win \d+, "
        r"options \[mss 1200,sackOK,TS val \d+ ecr 0,nop,wscale 5\], length 0",
        syn,
    ), syn
    assert "> GET /small HTTP/1.1" in lines and "< HTTP/1.1 200 OK" in lines
    seen = tcpdump_lines(capture)
    assert [line.split(" ", 1)[1] for line in segments] == seen  # tcpdump saw the same segments, as printed
    assert not any("Flags [R" in line for line in seen)


def test_no_sack_no_timestamps_leave_the_options_out(lab: Lab, served: Path) -> None:
    result = http(lab, "GET", url(lab, "/small"), "-v", "--no-sack", "--no-timestamps", "--mss", "1000")
    assert result.returncode == 0, result.stderr
    syn = result.stderr.decode().splitlines()[0]
    assert "Flags [S]" in syn and "sackOK" not in syn and "TS val" not in syn and "mss 1000" in syn, syn


def test_head_gets_no_body_though_its_content_length_says_1_mb(lab: Lab, served: Path) -> None:
    result = http(lab, "HEAD", url(lab, "/file"), "-v")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert "< Content-Length: 1000000" in result.stderr.decode().splitlines()


def test_source_address_port_ttl_and_interface_are_as_given(lab: Lab, served: Path, tmp_path: Path) -> None:
    a, b = lab["a"], lab["b"]
    given = ["-i", a.interfaces["b"].name, "-S", "198.18.1.200", "--sport", "40000", "--ttl", "7"]
    with tcpdump(lab, "b", b.interfaces["a"].name, f"tcp port {PORT}", tmp_path / "b.pcap") as capture:
        result = http(lab, "GET", url(lab, "/small"), *given)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"hello from b\n"
    sent = tshark_fields(capture, "ip.src", "tcp.srcport", "ip.ttl", display_filter=f"ip.dst == {b.ipv4}")
    assert len(sent) >= 4 and all(fields == ["198.18.1.200", "40000", "7"] for fields in sent), sent


def test_a_closed_port_is_connection_refused_exit_1(lab: Lab, served: Path) -> None:
    result = rawnet(lab, "a", "http", "GET", url(lab, "/", port=CLOSED_PORT))
    assert_one_line_error(
        result, 1, "rawnet http:", f"connection refused by {lab['b'].ipv4} port {CLOSED_PORT}"
    )
    assert result.stdout == ""


def test_a_server_that_says_nothing_is_a_timeout_exit_1(lab: Lab, served: Path) -> None:
    result = rawnet(lab, "a", "http", "GET", url(lab, "/slow"), "--timeout", "1")
    assert_one_line_error(
        result, 1, "rawnet http:", f"timed out waiting for the response of {lab['b'].ipv4} port {PORT}", "1 s"
    )


def test_a_reset_is_connection_reset_exit_1(lab: Lab, served: Path) -> None:
    result = rawnet(lab, "a", "http", "GET", url(lab, "/reset"))
    assert_one_line_error(result, 1, "rawnet http:", f"connection reset by {lab['b'].ipv4} port {PORT}")


def test_ctrl_c_while_waiting_ends_the_connection_with_a_rst_and_exit_130(
    lab: Lab, served: Path, tmp_path: Path
) -> None:
    b = lab["b"]
    with tcpdump(lab, "b", b.interfaces["a"].name, f"tcp port {PORT}", tmp_path / "b.pcap") as capture:
        process = lab.popen("a", [*RAWNET, "http", "GET", url(lab, "/slow"), "-v"], stderr=subprocess.PIPE)
        try:
            assert process.stderr is not None
            lines = iter(process.stderr.readline, "")
            next(line for line in lines if "Flags [P.]" in line)  # the request went
            next(line for line in lines if f"{b.ipv4}.{PORT} >" in line)  # and b acknowledged it
            process.send_signal(signal.SIGINT)
            code = process.wait(TIMEOUT)
            assert code == 130, process.stderr.read()[-2000:]
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(TIMEOUT)
            assert process.stderr is not None
            process.stderr.close()
    flags = tshark_fields(capture, "tcp.flags.str", display_filter=f"ip.dst == {b.ipv4}")
    last = flags[-1][0].replace("\u00b7", "")  # (tshark writes unset flags as "·")
    assert last in ("R", "AR"), flags  # (abort() sends its RST before it returns)


def test_without_cap_net_raw_it_is_exit_3(lab: Lab, served: Path) -> None:
    result = lab.run("a", without("net_raw", [*RAWNET, "http", "GET", url(lab, "/small")]))
    assert_one_line_error(result, 3, "rawnet http")
    assert result.stdout == ""


def test_https_is_a_usage_error(lab: Lab) -> None:
    result = rawnet(lab, "a", "http", "GET", f"https://{lab['b'].ipv4}/")
    assert_one_line_error(result, 2, "rawnet http", "https is not supported")


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("http://2001:db8:1::2/", "brackets"),
        ("http://no-such-host.invalid/", "no host has that name"),
        ("ftp://198.18.1.2/", "not an http URL"),
        ("http://198.18.1.2:99999/", "port"),
    ],
)
def test_bad_urls_are_usage_errors(given: str, words: str) -> None:
    assert_one_line_error(rawnet(None, "", "http", "GET", given), 2, "rawnet http", words)


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    where = "http://198.18.1.2/"
    both = rawnet(None, "", "http", "POST", where, "-d", "x", "--data-binary", "y")
    assert_one_line_error(both, 2, "rawnet http", "one way")
    assert_one_line_error(
        rawnet(None, "", "http", "GET", where, "-H", "nocolon"), 2, "rawnet http", "Name: value"
    )
    missing = rawnet(None, "", "http", "POST", where, "-d", f"@{tmp_path}/nosuch")
    assert_one_line_error(missing, 2, "rawnet http", "cannot read")

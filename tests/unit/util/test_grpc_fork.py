"""A process that talks gRPC can start children with a preexec_fn without them aborting.

gRPC's fork handlers restart its pollers in the child of a fork(); subprocess then closes
their epoll descriptor before exec, and the child dies of SIGABRT (grpc/grpc#43055). The
runtime's `exec -t` and every test harness start children that way while gRPC is busy.
"""

import subprocess
import sys
import textwrap

CHILDREN = 400

BUSY_GRPC_PROCESS = textwrap.dedent(
    f"""
    import subprocess, threading
    from concurrent import futures

    import kubelite  # noqa: F401  (what every kubelite process imports first)
    from kubelite.util.process import exit_with_parent

    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    server = grpc.server(futures.ThreadPoolExecutor(4))
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(f"127.0.0.1:{{port}}"))
    done = threading.Event()

    def call_until_done():
        while not done.is_set():
            stub.Check(health_pb2.HealthCheckRequest())

    for _ in range(3):
        threading.Thread(target=call_until_done, daemon=True).start()
    codes = [
        subprocess.run(["/bin/true"], preexec_fn=exit_with_parent()).returncode
        for _ in range({CHILDREN})
    ]
    done.set()
    print(sum(1 for code in codes if code != 0))
    """
)


def test_children_started_with_a_preexec_fn_while_grpc_is_busy_all_run() -> None:
    out = subprocess.run(
        [sys.executable, "-c", BUSY_GRPC_PROCESS], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    failed = int(out.stdout.strip().splitlines()[-1])
    assert failed == 0, f"{failed} of {CHILDREN} children died before exec:\n{out.stderr[-2000:]}"

"""Crypto figures: seal/open time, receipt KDF time, KDF throughput on 2 threads."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cryptography

from storage.crypto import (
    SEAL_OVERHEAD,
    KdfParams,
    KeyPair,
    derive_receipt_keys,
    new_receipt,
    open_sealed,
    seal,
)

RESULTS = Path(__file__).parent / "results" / "crypto.json"
CONTEXT = b"tinbao/tip/v1/123456"
PLAINTEXT = os.urandom(1024)  # a typical tip: a few sentences and a location
SALT = os.urandom(32)


def _per_call(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def _summary(times: list[float], scale: float) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median": round(statistics.median(ordered) * scale, 1),
        "p99": round(ordered[int(len(ordered) * 0.99) - 1] * scale, 1),
    }


def _kdf_throughput(threads: int, count: int, params: KdfParams) -> float:
    receipts = [new_receipt() for _ in range(count)]
    with ThreadPoolExecutor(threads) as pool:
        t = time.perf_counter()
        list(pool.map(lambda r: derive_receipt_keys(r, SALT, params), receipts))
        return count / (time.perf_counter() - t)


def main() -> None:
    """Run the benchmarks, print the figures and write them as JSON."""
    keypair = KeyPair.generate()
    blob = seal(keypair.public, PLAINTEXT, CONTEXT)
    params = KdfParams()
    for _ in range(50):  # warm up
        open_sealed(keypair, seal(keypair.public, PLAINTEXT, CONTEXT), CONTEXT)
    seal_us = _summary(_per_call(lambda: seal(keypair.public, PLAINTEXT, CONTEXT), 2000), 1e6)
    open_us = _summary(_per_call(lambda: open_sealed(keypair, blob, CONTEXT), 2000), 1e6)
    kdf_ms = _summary(_per_call(lambda: derive_receipt_keys(new_receipt(), SALT, params), 60), 1e3)
    results = {
        "seal_us": seal_us,
        "open_us": open_us,
        "seal_overhead_bytes": SEAL_OVERHEAD,
        "plaintext_bytes": len(PLAINTEXT),
        "receipt_kdf_ms": kdf_ms,
        "receipt_kdf_params": params.to_dict(),
        "kdf_per_s_1_thread": round(_kdf_throughput(1, 60, params), 1),
        "kdf_per_s_2_threads": round(_kdf_throughput(2, 120, params), 1),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "cryptography": cryptography.__version__,
    }
    print(f"seal  (1 KiB): median {seal_us['median']} µs, p99 {seal_us['p99']} µs")
    print(f"open  (1 KiB): median {open_us['median']} µs, p99 {open_us['p99']} µs")
    print(f"sealed overhead: {SEAL_OVERHEAD} bytes")
    print(f"receipt KDF {params}: median {kdf_ms['median']} ms, p99 {kdf_ms['p99']} ms")
    print(f"receipt KDF throughput: {results['kdf_per_s_1_thread']}/s on 1 thread, ", end="")
    print(f"{results['kdf_per_s_2_threads']}/s on 2 threads")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

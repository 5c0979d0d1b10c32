"""Checks of the re-implemented VEnhancer denoiser against the reference fixtures (tests/fixtures/venhancer/).

    /usr/bin/python3 native-models/venhancer/checks_denoiser.py [--keys KEYS.tsv] [--fixture fixture-a.pt]
        [--dtype float32|float64|both] [--threads N] [--json]

With neither --keys nor --fixture, both checks run on the repository's tests/fixtures/venhancer/.

Exit 0 when every check passes, 1 otherwise. Each check prints one "PASS ..." or "FAIL ..." line with its
figures; the functions also return them for the exporter's check command.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from venhancer.denoiser import build_denoiser  # noqa: E402

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_FIXTURES = os.path.join(_ROOT, "tests", "fixtures", "venhancer")
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-6}
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


class CheckFailed(AssertionError):
    pass


def read_keys_tsv(tsv_path: str) -> list[tuple[str, tuple[int, ...]]]:
    entries = []
    with open(tsv_path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            key, shape = line.split("\t")[:2]
            entries.append((key, tuple(int(s) for s in shape.split("x")) if shape else ()))
    return entries


def check_denoiser_keys(tsv_path: str) -> dict:
    """The full-size denoiser (built on the meta device: no memory) has exactly the listed keys, order and shapes."""
    expected = read_keys_tsv(tsv_path)
    model = build_denoiser(device="meta")
    actual = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    n_params = sum(p.numel() for p in model.parameters())
    n_buffers = sum(b.numel() for b in model.buffers())
    controlnet = sum(p.numel() for n, p in model.named_parameters() if n.startswith("VideoControlNet."))
    result = {
        "entries": len(actual),
        "expected_entries": len(expected),
        "parameters": n_params,
        "buffers": n_buffers,
        "unet_parameters": n_params - controlnet,
        "controlnet_parameters": controlnet,
    }
    mismatches = []
    for i in range(max(len(actual), len(expected))):
        a = actual[i] if i < len(actual) else None
        e = expected[i] if i < len(expected) else None
        if a != e:
            mismatches.append(f"#{i}: model {a} vs checkpoint {e}")
    result["mismatches"] = len(mismatches)
    summary = (f"{len(actual)} entries (expected {len(expected)}), {n_params:,} parameters "
               f"(UNet {n_params - controlnet:,}, ControlNet {controlnet:,}), {n_buffers} buffer elements")
    if mismatches or n_buffers:
        print(f"FAIL keys: {summary}; {len(mismatches)} mismatches, first: " + "; ".join(mismatches[:5]))
        raise CheckFailed(f"denoiser keys differ from {tsv_path}: " + "; ".join(mismatches[:5]))
    print(f"PASS keys: {summary}")
    return result


def load_fixture(fixture_path: str) -> dict:
    try:
        return torch.load(fixture_path, map_location="cpu", weights_only=False)
    except TypeError:  # torch < 1.13.1 has no weights_only
        return torch.load(fixture_path, map_location="cpu")


def _cases(fx: dict) -> list[dict]:
    main = {"name": "main", "inputs": fx["inputs"], "output": fx["output"], "output_fp64": fx["output_fp64"],
            "controlnet_residuals": fx["controlnet_residuals"]}
    return [main] + list(fx.get("extra_cases", []))


def _max_abs(a: torch.Tensor, b: torch.Tensor) -> float:
    if a.shape != b.shape:
        raise CheckFailed(f"shape {tuple(a.shape)} vs reference {tuple(b.shape)}")
    return float((a.double() - b.double()).abs().max())


def check_denoiser_fixture(fixture_path: str, dtype: torch.dtype | str = torch.float32, *, fx: dict | None = None) -> dict:
    """Load the fixture's tiny model strictly, run every case (main + extra_cases) and compare the output and the
    ControlNet residuals with the reference: float32 against `output` (1e-5 max abs), float64 against
    `output_fp64` (1e-6). Returns {case: {"output": max_abs, "residuals": max_abs}}."""
    dtype = _DTYPES.get(dtype, dtype) if isinstance(dtype, str) else dtype
    tol = TOLERANCE[dtype]
    fx = fx if fx is not None else load_fixture(fixture_path)
    model = build_denoiser(fx["config"], dtype=dtype, empty=True)
    model.load_state_dict({k: v.to(dtype) for k, v in fx["state_dict"].items()}, strict=True)
    figures, failures = {}, []
    started = time.time()
    for case in _cases(fx):
        inp = case["inputs"]
        floats = {k: inp[k].to(dtype) for k in ("x", "y", "hint")}
        captured = []
        hook = model.VideoControlNet.register_forward_hook(lambda _m, _i, out: captured.append(list(out)))
        try:
            with torch.no_grad():
                v = model(floats["x"], t=inp["t"], y=floats["y"], hint=floats["hint"], mask_cond=inp["mask_cond"],
                          s_cond=inp["s_cond"], t_hint=inp["t_hint"])
        finally:
            hook.remove()
        residuals = captured[0]
        reference = case["output_fp64"] if dtype == torch.float64 else case["output"]
        out_diff = _max_abs(v, reference)
        ref_res = case["controlnet_residuals"]
        if len(residuals) != len(ref_res):
            raise CheckFailed(f"{case['name']}: {len(residuals)} ControlNet residuals, reference has {len(ref_res)}")
        # The fixture's residuals come from the float32 run; in float64 they are compared at the float32 tolerance.
        res_diff = max(_max_abs(a, b) for a, b in zip(residuals, ref_res))
        res_tol = TOLERANCE[torch.float32] * max(1.0, max(float(r.abs().max()) for r in ref_res))
        figures[case["name"]] = {"output": out_diff, "residuals": res_diff}
        ok = out_diff <= tol and res_diff <= res_tol
        line = (f"fixture {os.path.basename(fixture_path)} {str(dtype).replace('torch.', '')} case "
                f"'{case['name']}': output max abs {out_diff:.3e} (tol {tol:.0e}), ControlNet residuals max abs "
                f"{res_diff:.3e} (tol {res_tol:.1e})")
        print(("PASS " if ok else "FAIL ") + line)
        if not ok:
            failures.append(line)
    print(f"  ({time.time() - started:.1f} s)")
    if failures:
        raise CheckFailed("; ".join(failures))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", help="unet-controlnet-keys.tsv")
    parser.add_argument("--fixture", help="fixture-a.pt")
    parser.add_argument("--dtype", default="both", choices=["float32", "float64", "both"])
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: OpenMP threads spin badly on a loaded machine)")
    parser.add_argument("--json", action="store_true", help='also print one line "RESULT {json}" with the figures')
    args = parser.parse_args(argv)
    if not args.keys and not args.fixture:
        args.keys = os.path.join(DEFAULT_FIXTURES, "unet-controlnet-keys.tsv")
        args.fixture = os.path.join(DEFAULT_FIXTURES, "fixture-a.pt")
    torch.set_num_threads(args.threads)
    results: dict[str, dict] = {}

    def record(name, fn, *fn_args, **fn_kwargs):
        try:
            results[name] = {"pass": True, "figures": fn(*fn_args, **fn_kwargs)}
        except CheckFailed as error:
            print(f"FAIL {name}: {error}")
            results[name] = {"pass": False, "figures": {}, "error": str(error)}

    if args.keys:
        record("denoiser_keys", check_denoiser_keys, args.keys)
    if args.fixture:
        fx = load_fixture(args.fixture)
        for name in (["float32", "float64"] if args.dtype == "both" else [args.dtype]):
            record(f"denoiser_fixture_{name}", check_denoiser_fixture, args.fixture, name, fx=fx)
    failed = sum(1 for r in results.values() if not r["pass"])
    if args.json:
        print("RESULT " + json.dumps(results))
    print("ALL PASS" if not failed else f"{failed} CHECK(S) FAILED")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())

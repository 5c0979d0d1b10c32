"""Checks of the VAE and text-tower re-implementations against the reference fixtures
(tests/fixtures/venhancer/README-vae-text.md).

Each check prints one PASS/FAIL line per figure and returns {"pass": bool, "figures": {...}}.
    /usr/bin/python3 -m venhancer.checks_vae_text [--fixtures DIR] [--json]     (cwd: native-models)
exit 0 when every check passes, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

from .text import build_text_tower
from .vae import build_vae

FP32_TOL = 1e-5
FP64_TOL = 1e-6
DEFAULT_FIXTURES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "venhancer"))


def _load(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch without weights_only
        return torch.load(path, map_location="cpu")


def _read_keys_tsv(tsv):
    rows = []
    with open(tsv, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            key, shape = line.rstrip("\n").split("\t")[:2]
            rows.append((key, json.loads(shape)))
    return rows


def _report(name, ok, detail):
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
    return ok


def _check_keys(name, module, tsv):
    expected = _read_keys_tsv(tsv)
    actual = [(k, list(v.shape)) for k, v in module.state_dict().items()]
    expected_map, actual_map = dict(expected), dict(actual)
    missing = sorted(set(expected_map) - set(actual_map))
    unexpected = sorted(set(actual_map) - set(expected_map))
    wrong = sorted(k for k in set(expected_map) & set(actual_map) if expected_map[k] != actual_map[k])
    values = sum(int(torch.Size(s).numel()) for _, s in actual)
    figures = {"expected_tensors": len(expected), "tensors": len(actual), "values": values,
               "expected_values": sum(int(torch.Size(s).numel()) for _, s in expected),
               "missing": missing[:10], "unexpected": unexpected[:10], "wrong_shape": wrong[:10],
               "same_order": [k for k, _ in expected] == [k for k, _ in actual]}
    ok = not missing and not unexpected and not wrong
    _report(name, ok, f"{len(actual)} tensors / {values:,} values (expected {len(expected)} / "
                      f"{figures['expected_values']:,}); missing {len(missing)}, unexpected {len(unexpected)}, "
                      f"wrong shape {len(wrong)}")
    return {"pass": ok, "figures": figures}


def check_vae_keys(tsv):
    """The full-size SVD VAE, built on the meta device (no memory), has exactly the listed keys and shapes."""
    return _check_keys("vae keys", build_vae(None, device="meta"), tsv)


def check_text_keys(tsv):
    """The full-size ViT-H/14 text tower, built on the meta device, has exactly the listed keys and shapes."""
    return _check_keys("text keys", build_text_tower(None, device="meta"), tsv)


def _compare(name, actual, expected, tol, figures, results):
    diff = float((actual.double() - expected.double()).abs().max())
    figures[name] = diff
    results.append(_report(name, diff <= tol and actual.shape == expected.shape,
                           f"max abs {diff:.3g} (tol {tol:g}, shape {list(actual.shape)})"))


def _distinct(name, actual, other, min_diff, figures, results):
    diff = float((actual.double() - other.double()).abs().max())
    figures[name] = diff
    results.append(_report(name, diff >= min_diff, f"max abs {diff:.3g} (must be >= {min_diff:g})"))


def _strict_model(build, fx, dtype):
    model = build(json.loads(fx["config_json"]), dtype=dtype)
    model.load_state_dict({k: v.to(dtype) for k, v in fx["state_dict_fp16"].items()}, strict=True)
    return model.eval()


def check_vae_fixture(path):
    """Strict load of the tiny VAE; encoder moments and the four decoder layouts against the reference, in float32
    (tol 1e-5) and float64 (tol 1e-6). The float64 encoder is compared with `_f64pure`: in the reference's `_f64`
    run one softmax was computed in float32 (upcast_softmax), which this float64 implementation does not do."""
    fx = _load(path)
    out, inputs = fx["outputs"], fx["inputs"]
    figures, results = {}, []
    for dtype, suffix, enc_suffix, tol in ((torch.float32, "_f32", "_f32", FP32_TOL),
                                           (torch.float64, "_f64", "_f64pure", FP64_TOL)):
        vae = _strict_model(build_vae, fx, dtype)
        images, z, z_b2 = (inputs[k].to(dtype) for k in ("images", "z", "z_b2"))
        lat = vae.latent_channels
        with torch.no_grad():
            moments = vae.encode_moments(images)
            _compare("enc_mean" + suffix, moments[:, :lat], out["enc_mean" + enc_suffix], tol, figures, results)
            _compare("enc_logvar" + suffix, moments[:, lat:], out["enc_logvar" + enc_suffix], tol, figures, results)
            # the reference's moments are the raw quant_conv output; equal when no log-variance is clamped
            _compare("enc_moments" + suffix, moments, out["enc_moments" + enc_suffix], tol, figures, results)
            _compare("dec_full" + suffix, vae.decode(z, 5), out["dec_full" + suffix], tol, figures, results)
            chunks = torch.cat([vae.decode(z[0:2], 2), vae.decode(z[2:4], 2), vae.decode(z[4:5], 1)])
            _compare("dec_chunk2" + suffix, chunks, out["dec_chunk2" + suffix], tol, figures, results)
            _compare("dec_nf1" + suffix, vae.decode(z, 1), out["dec_nf1" + suffix], tol, figures, results)
            _compare("dec_b2" + suffix, vae.decode(z_b2, 5), out["dec_b2" + suffix], tol, figures, results)
            # the comparison can fail: whole-video decoding is far from the reference's chunked decoding
            _distinct("dec_full_vs_ref_chunk2" + suffix, vae.decode(z, 5), out["dec_chunk2" + suffix], 0.1,
                      figures, results)
    return {"pass": all(results), "figures": figures}


def check_text_fixture(path):
    """Strict load of the tiny text tower (text_projection and logit_scale included); the penultimate-layer
    hidden states against the reference in float32 (tol 1e-5) and float64 (tol 1e-6)."""
    fx = _load(path)
    tokens = fx["inputs"]["tokens"]
    figures, results = {}, []
    for dtype, suffix, tol in ((torch.float32, "_f32", FP32_TOL), (torch.float64, "_f64", FP64_TOL)):
        tower = _strict_model(build_text_tower, fx, dtype)
        with torch.no_grad():
            hidden = tower(tokens)
            _compare("hidden" + suffix, hidden, fx["outputs"]["hidden" + suffix], tol, figures, results)
            # the comparison can fail: the last layer's output (layer="last") is far from the penultimate's
            _distinct("hidden_vs_ref_last" + suffix, hidden, fx["outputs"]["hidden_last" + suffix], 1e-2,
                      figures, results)
    return {"pass": all(results), "figures": figures}


def run_all(fixtures=DEFAULT_FIXTURES):
    return {
        "vae_keys": check_vae_keys(os.path.join(fixtures, "vae-keys.tsv")),
        "text_keys": check_text_keys(os.path.join(fixtures, "text-keys.tsv")),
        "vae_fixture": check_vae_fixture(os.path.join(fixtures, "vae-fixture.pt")),
        "text_fixture": check_text_fixture(os.path.join(fixtures, "text-fixture.pt")),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", default=DEFAULT_FIXTURES)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    results = run_all(args.fixtures)
    ok = all(r["pass"] for r in results.values())
    if args.json:
        print("RESULT " + json.dumps(results))
    print("ALL PASS" if ok else "SOME FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

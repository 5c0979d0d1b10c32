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


def export_fixture_onnx(out_dir, fixtures=DEFAULT_FIXTURES):
    """Exports the tiny fixture VAE (encoder, decoder) and text tower to ONNX, fp32 and fp16 weights, under
    out_dir/{fp32,fp16}/, and writes the fixture inputs and float32 reference outputs as raw little-endian
    arrays (out_dir/NAME.bin, described in out_dir/arrays.json) for a runtime-side comparison."""
    import numpy as np

    from .text import export_text_encoder_onnx
    from .vae import export_vae_decoder_onnx, export_vae_encoder_onnx

    vfx = _load(os.path.join(fixtures, "vae-fixture.pt"))
    tfx = _load(os.path.join(fixtures, "text-fixture.pt"))
    vae = _strict_model(build_vae, vfx, torch.float32)
    tower = _strict_model(build_text_tower, tfx, torch.float32)
    graphs = {}
    for fp16 in (False, True):
        folder = os.path.join(out_dir, "fp16" if fp16 else "fp32")
        for role, export, model in (("vae_encoder", export_vae_encoder_onnx, vae),
                                    ("vae_decoder", export_vae_decoder_onnx, vae),
                                    ("text_encoder", export_text_encoder_onnx, tower)):
            graphs[f"{os.path.basename(folder)}/{role}"] = export(model, os.path.join(folder, role + ".onnx"),
                                                                   fp16=fp16, external_data=True)
    arrays = {
        "images": vfx["inputs"]["images"], "z": vfx["inputs"]["z"],
        "enc_moments_f32": vfx["outputs"]["enc_moments_f32"], "dec_full_f32": vfx["outputs"]["dec_full_f32"],
        "dec_chunk2_f32": vfx["outputs"]["dec_chunk2_f32"],
        "tokens": tfx["inputs"]["tokens"], "hidden_f32": tfx["outputs"]["hidden_f32"],
    }
    described = {}
    for name, tensor in arrays.items():
        array = tensor.numpy()
        array = array.astype("<i8" if array.dtype == np.int64 else "<f4")
        array.tofile(os.path.join(out_dir, name + ".bin"))
        described[name] = {"shape": list(array.shape), "dtype": "int64" if array.dtype.kind == "i" else "float32"}
    with open(os.path.join(out_dir, "arrays.json"), "w", encoding="utf-8") as f:
        json.dump({"arrays": described, "graphs": graphs}, f, indent=1)
    return graphs


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
    parser.add_argument("--export-onnx", metavar="DIR", help="only export the tiny fixture graphs and arrays to DIR")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.export_onnx:
        export_fixture_onnx(args.export_onnx, args.fixtures)
        print(f"exported to {args.export_onnx}")
        return 0
    results = run_all(args.fixtures)
    ok = all(r["pass"] for r in results.values())
    if args.json:
        print("RESULT " + json.dumps(results))
    print("ALL PASS" if ok else "SOME FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

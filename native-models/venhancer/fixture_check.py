"""The Python half of `npm run check:venhancer -- FILE` (scripts/check-venhancer.ts runs it, then runs the ONNX
graphs through the engine's pack runtime).

    python3 -m venhancer.fixture_check FIXTURE --work DIR [--keys-dir DIR]

Detects the fixture's form by its content (denoiser fixture-a form, SVD VAE fixture, OpenCLIP text fixture), checks
the full-size module's keys against the key list (.tsv beside the fixture, else the repository's), runs our PyTorch
on the fixture's tiny model against the reference outputs (float32 1e-5, float64 1e-6), exports the tiny model to
ONNX (float32; for the denoiser also with float16 weights) into DIR, and writes DIR/plan.json: the PyTorch and key
figures, and for each ONNX case the graph, its input tensors as .npy, and the reference output as .npy. Exit 0 when
every PyTorch and key check passed, 1 otherwise (the plan is written either way), 2 when the file is not a fixture.
"""

import argparse
import io
import json
import os
import sys
from contextlib import redirect_stdout

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_FIXTURES = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "fixtures", "venhancer"))

PYTORCH_TOL = {"float32": 1e-5, "float64": 1e-6}
ONNX_TOL = 1e-4
# The fp16 export stores the weights as float16 (compute stays float32) and takes x/context/hint and returns v as
# float16. The fixture's weights are float16 values already, so the difference is the float16 rounding of the inputs
# and of the output: half a float16 step at |v| in [2, 4) is 9.8e-4 (fixture-a's max |v| is 2.17). Measured on
# fixture-a (onnxruntime-node 1 CPU): 8.5e-4 (main case) and 9.3e-4 (no insertion). Tolerance: 2e-3.
ONNX_FP16_TOL = 2e-3


class NotAFixture(Exception):
    pass


def load(path):
    try:
        return torch.load(path, map_location="cpu")
    except Exception as error:  # noqa: BLE001 - any unreadable file is "not a fixture"
        raise NotAFixture(f"{path} cannot be read as a PyTorch file ({type(error).__name__}: {error})")


def detect_form(fx, path):
    if not isinstance(fx, dict):
        raise NotAFixture(f"{path} holds a {type(fx).__name__}, not a fixture dict")
    if "state_dict" in fx and isinstance(fx.get("inputs"), dict) and "mask_cond" in fx["inputs"]:
        return "denoiser"
    outputs = fx.get("outputs")
    if isinstance(outputs, dict) and "enc_mean_f32" in outputs and "config_json" in fx:
        return "vae"
    if isinstance(outputs, dict) and "hidden_f32" in outputs and "config_json" in fx:
        return "text"
    raise NotAFixture(
        f"{path} is not a VEnhancer fixture of a known form (denoiser: state_dict + inputs.mask_cond; VAE: "
        f"outputs.enc_mean_f32; text: outputs.hidden_f32); its keys: {', '.join(sorted(map(str, fx))[:12])}"
    )


def find_tsv(fixture_path, name, keys_dir):
    for folder in filter(None, (keys_dir, os.path.dirname(os.path.abspath(fixture_path)), REPO_FIXTURES)):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


class Plan:
    def __init__(self, work, form, fixture):
        self.work = work
        self.data = {"form": form, "fixture": os.path.abspath(fixture), "keys": [], "pytorch": [], "onnx": [], "log": []}
        self.counter = 0

    def npy(self, tensor, dtype=None):
        self.counter += 1
        name = f"t{self.counter:03d}.npy"
        array = tensor.detach().cpu().numpy()
        if dtype is not None:
            array = array.astype(dtype)
        np.save(os.path.join(self.work, name), np.ascontiguousarray(array))
        return name

    def pytorch(self, name, max_abs, tol):
        self.data["pytorch"].append({"name": name, "maxAbs": max_abs, "tolerance": tol, "pass": bool(max_abs <= tol)})

    def keys(self, name, ok, detail):
        self.data["keys"].append({"name": name, "pass": bool(ok), "detail": detail})

    def onnx_case(self, name, graph, role, runs, reference, tol):
        """runs: list of {input name: tensor}; their outputs are concatenated on axis 0 and compared with reference."""
        self.data["onnx"].append(
            {
                "name": name,
                "graph": graph,
                "role": role,
                "runs": [{k: self.npy(v) for k, v in run.items()} for run in runs],
                "reference": self.npy(reference, np.float32),
                "tolerance": tol,
            }
        )

    def write(self):
        with open(os.path.join(self.work, "plan.json"), "w", encoding="utf-8") as f:
            json.dump(self.data, f, indent=1)


def quiet(fn, *args, **kwargs):
    """Runs a check function, keeping its printed lines for the plan's log instead of our stdout."""
    buffer = io.StringIO()
    try:
        with redirect_stdout(buffer):
            return fn(*args, **kwargs), None
    except AssertionError as error:
        return None, error
    finally:
        sys.stderr.write(buffer.getvalue())


def graph_with_spec(plan, role, path):
    from venhancer.pack_writer import graph_spec

    spec = graph_spec(role, path)
    spec["file"] = os.path.relpath(path, plan.work)
    return spec


def add_figures(plan, what, result):
    """Figures of checks_vae_text: comparisons (max abs vs the reference) and sanity figures ("_vs_ref_", which must
    be LARGE: they show the comparison can fail). The latter only count through the result's overall pass."""
    compared_ok = True
    for name, value in result["figures"].items():
        if "_vs_ref" in name:
            plan.data["log"].append(f"sanity {what} {name}: {value:.3g} (must differ)")
            continue
        tol = PYTORCH_TOL["float64" if name.endswith("_f64") else "float32"]
        plan.pytorch(f"{what} {name}", value, tol)
        compared_ok = compared_ok and value <= tol
    if not result["pass"] and compared_ok:
        plan.pytorch(f"{what} sanity figures (see the log)", float("inf"), 0.0)


# --------------------------------------------------------------------------------------------------------------------


def check_denoiser(plan, path, fx, keys_dir):
    from venhancer import checks_denoiser
    from venhancer.denoiser import build_denoiser, export_denoiser_onnx

    tsv = find_tsv(path, "unet-controlnet-keys.tsv", keys_dir)
    if tsv:
        result, error = quiet(checks_denoiser.check_denoiser_keys, tsv)
        plan.keys("denoiser keys", error is None, str(error) if error else f"{result['entries']} entries, {result['parameters']:,} parameters")
    for dtype in ("float32", "float64"):
        figures, error = quiet(checks_denoiser.check_denoiser_fixture, path, dtype, fx=fx)
        if figures is None:
            # The check raises on failure; recompute nothing, report the failure with its message.
            plan.pytorch(f"denoiser {dtype}", float("inf"), PYTORCH_TOL[dtype])
            plan.data["log"].append(str(error))
            continue
        for case, fig in figures.items():
            plan.pytorch(f"denoiser {dtype} case '{case}'", fig["output"], PYTORCH_TOL[dtype])

    model = build_denoiser(fx["config"], dtype=torch.float32, empty=True)
    model.load_state_dict({k: v.float() for k, v in fx["state_dict"].items()}, strict=True)
    model.eval()
    cases = [{"name": "main", "inputs": fx["inputs"], "output": fx["output"]}] + list(fx.get("extra_cases", []))
    for variant, fp16 in (("fp32", False), ("fp16-weights", True)):
        folder = os.path.join(plan.work, f"denoiser-{variant}")
        os.makedirs(folder, exist_ok=True)
        graph = os.path.join(folder, "denoiser.onnx")
        export_denoiser_onnx(model, graph, fp16=fp16, external_data=True)
        spec = graph_with_spec(plan, "denoiser", graph)
        for case in cases:
            inp = case["inputs"]
            feeds = {
                "x": inp["x"],
                "t": inp["t"],
                "context": inp["y"],
                "hint": inp["hint"],
                "mask": inp["mask_cond"],
                "t_hint": inp["t_hint"],
                "s_cond": inp["s_cond"],
            }
            tol = ONNX_FP16_TOL if fp16 else ONNX_TOL
            plan.onnx_case(f"denoiser ONNX {variant} case '{case['name']}'", spec, "denoiser", [feeds], case["output"], tol)


def check_vae(plan, path, fx, keys_dir):
    from venhancer import checks_vae_text
    from venhancer.vae import build_vae, export_vae_decoder_onnx, export_vae_encoder_onnx

    tsv = find_tsv(path, "vae-keys.tsv", keys_dir)
    if tsv:
        result, error = quiet(checks_vae_text.check_vae_keys, tsv)
        ok = error is None and result["pass"]
        plan.keys("VAE keys", ok, str(error) if error else json.dumps({k: result["figures"][k] for k in ("tensors", "values", "missing", "unexpected", "wrong_shape")}))
    result, error = quiet(checks_vae_text.check_vae_fixture, path)
    if result is None:
        plan.pytorch("VAE", float("inf"), PYTORCH_TOL["float32"])
        plan.data["log"].append(str(error))
    else:
        add_figures(plan, "VAE", result)

    vae = build_vae(json.loads(fx["config_json"]), dtype=torch.float32)
    vae.load_state_dict({k: v.float() for k, v in fx["state_dict_fp16"].items()}, strict=True)
    vae.eval()
    out, inputs = fx["outputs"], fx["inputs"]
    folder = os.path.join(plan.work, "vae-fp32")
    os.makedirs(folder, exist_ok=True)
    enc = os.path.join(folder, "vae_encoder.onnx")
    dec = os.path.join(folder, "vae_decoder.onnx")
    export_vae_encoder_onnx(vae, enc, fp16=False, external_data=True)
    export_vae_decoder_onnx(vae, dec, fp16=False, external_data=True)
    enc_spec = graph_with_spec(plan, "vae_encoder", enc)
    dec_spec = graph_with_spec(plan, "vae_decoder", dec)
    moments = torch.cat([out["enc_mean_f32"], out["enc_logvar_f32"]], dim=1)
    plan.onnx_case("VAE encoder ONNX fp32 moments", enc_spec, "vae_encoder", [{"image": inputs["images"]}], moments, ONNX_TOL)
    z = inputs["z"]
    plan.onnx_case("VAE decoder ONNX fp32 dec_full (one 5-frame video)", dec_spec, "vae_decoder", [{"latent": z}], out["dec_full_f32"], ONNX_TOL)
    plan.onnx_case(
        "VAE decoder ONNX fp32 dec_chunk2 (2+2+1 frames)",
        dec_spec,
        "vae_decoder",
        [{"latent": z[0:2]}, {"latent": z[2:4]}, {"latent": z[4:5]}],
        out["dec_chunk2_f32"],
        ONNX_TOL,
    )
    plan.onnx_case(
        "VAE decoder ONNX fp32 dec_nf1 (frame by frame)",
        dec_spec,
        "vae_decoder",
        [{"latent": z[i : i + 1]} for i in range(z.shape[0])],
        out["dec_nf1_f32"],
        ONNX_TOL,
    )


def check_text(plan, path, fx, keys_dir):
    from venhancer import checks_vae_text
    from venhancer.text import build_text_tower, export_text_encoder_onnx

    tsv = find_tsv(path, "text-keys.tsv", keys_dir)
    if tsv:
        result, error = quiet(checks_vae_text.check_text_keys, tsv)
        ok = error is None and result["pass"]
        plan.keys("text keys", ok, str(error) if error else json.dumps({k: result["figures"][k] for k in ("tensors", "values", "missing", "unexpected", "wrong_shape")}))
    result, error = quiet(checks_vae_text.check_text_fixture, path)
    if result is None:
        plan.pytorch("text", float("inf"), PYTORCH_TOL["float32"])
        plan.data["log"].append(str(error))
    else:
        add_figures(plan, "text", result)

    tower = build_text_tower(json.loads(fx["config_json"]), dtype=torch.float32)
    tower.load_state_dict({k: v.float() for k, v in fx["state_dict_fp16"].items()}, strict=True)
    tower.eval()
    folder = os.path.join(plan.work, "text-fp32")
    os.makedirs(folder, exist_ok=True)
    graph = os.path.join(folder, "text_encoder.onnx")
    export_text_encoder_onnx(tower, graph, fp16=False, external_data=True)
    spec = graph_with_spec(plan, "text_encoder", graph)
    plan.onnx_case("text encoder ONNX fp32", spec, "text_encoder", [{"input_ids": fx["inputs"]["tokens"]}], fx["outputs"]["hidden_f32"], ONNX_TOL)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fixture")
    parser.add_argument("--work", required=True, help="folder for the exported graphs, tensors and plan.json")
    parser.add_argument("--keys-dir", help="folder of the .tsv key lists (default: beside the fixture, else the repository's)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        fx = load(args.fixture)
        form = detect_form(fx, args.fixture)
    except NotAFixture as error:
        sys.stderr.write(f"{error}\n")
        return 2
    os.makedirs(args.work, exist_ok=True)
    plan = Plan(args.work, form, args.fixture)
    {"denoiser": check_denoiser, "vae": check_vae, "text": check_text}[form](plan, args.fixture, fx, args.keys_dir)
    plan.write()
    ok = all(c["pass"] for c in plan.data["pytorch"]) and all(k["pass"] for k in plan.data["keys"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
